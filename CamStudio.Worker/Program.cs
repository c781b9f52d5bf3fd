using CamStudio.Web.Cluster;
using CamStudio.Web.Hosting;

// An engine worker of a CamStudio cluster: an Orleans silo hosting this machine's engine (CUDA when it has one).
// Configuration as the studio's: CamStudio:Cluster:* (Mode, Redis or Postgres, Secret, ports), CAMSTUDIO_MODELS.
var builder = Host.CreateApplicationBuilder(args);
try
{
    builder.AddCamStudioWorker();
}
catch (StartupRefusedException ex)
{
    Console.Error.WriteLine($"CamStudio worker cannot start: {ex.Message}");
    return 2;
}
builder.Build().Run();
return 0;
