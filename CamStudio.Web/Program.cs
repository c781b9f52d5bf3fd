using CamStudio.Web.Hosting;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddCamEngine(builder.Configuration);
builder.Services.AddCamStudioWeb(builder.Configuration);

var app = builder.Build();
app.MapCamStudio();
app.Run();

public partial class Program;
