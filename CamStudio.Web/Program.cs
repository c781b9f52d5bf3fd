using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddCamEngine(builder.Configuration);
builder.Services.AddCamStudioWeb(builder.Configuration);
builder.Services.AddCamStudioJobs(builder.Configuration);

var app = builder.Build();
app.UseCamStudioAccess(); // first: the LAN access-code gate covers pages, API and hubs
app.MapCamStudio();
app.MapCamStudioJobs();
app.Run();

public partial class Program;
