using CamStudio.Web.Access;
using CamStudio.Web.Cluster;
using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs;
using CamStudio.Web.Models;
using CamStudio.Web.Presenter;
using CamStudio.Web.Studio;

var builder = WebApplication.CreateBuilder(args);
// Serve MudBlazor's and Blazor's files from the build output in any environment (scripts/start.sh runs the built,
// unpublished app as Production); a published app has no static web assets manifest and this does nothing.
builder.WebHost.UseStaticWebAssets();

builder.Services.AddCamEngine(builder.Configuration);
builder.Services.AddCamStudioWeb(builder.Configuration);
builder.Services.AddCamStudioJobs(builder.Configuration);
builder.Services.AddCamStudioModels(builder.Configuration);
builder.Services.AddCamStudioPresenter();
builder.Services.AddCamStudioAccess(builder.Configuration);
builder.Services.AddOpenApi(); // GET /openapi/v1.json: every HTTP endpoint, summaries from the handlers' XML docs
try
{
    builder.AddCamStudioCluster(); // CamStudio:Cluster:Mode single (default): nothing but the Workers panel's one worker
}
catch (StartupRefusedException ex)
{
    Console.Error.WriteLine($"CamStudio cannot start: {ex.Message}");
    return 2;
}

var app = builder.Build();
try
{
    app.UseCamStudioAccess(); // first: headers, Host and Origin checks and the LAN access-code gate cover pages, API and hubs
}
catch (StartupRefusedException ex)
{
    // A setting the server must not run with: say what is wrong, without a stack trace.
    Console.Error.WriteLine($"CamStudio cannot start: {ex.Message}");
    return 2;
}
app.MapCamStudio();
app.MapCamStudioJobs();
app.MapCamStudioModels();
app.MapCamStudioPresenter();
app.MapCamStudioCluster();
app.MapOpenApi();
app.Run();
return 0;

public partial class Program;
