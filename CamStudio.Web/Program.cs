using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and Blazor's files from the build output in any environment (scripts/start.sh runs the built,
// unpublished app as Production); a published app has no static web assets manifest and this does nothing.
builder.WebHost.UseStaticWebAssets();

builder.Services.AddCamEngine(builder.Configuration);
builder.Services.AddCamStudioWeb(builder.Configuration);
builder.Services.AddCamStudioJobs(builder.Configuration);

var app = builder.Build();
app.UseCamStudioAccess(); // first: the LAN access-code gate covers pages, API and hubs
app.MapCamStudio();
app.MapCamStudioJobs();
app.Run();

public partial class Program;
