using System.Net;
using System.Net.Sockets;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Tests.Support;
using CamStudio.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Tests.Web.Support;

/// <summary>
/// The real app (real engine, real shared MobileNetV2) on a temporary models folder and data folder, so tests
/// never see the user's models or jobs. The model is registered with the catalog's own <c>Add</c>, as
/// <c>camstudio models add</c> does. Set <see cref="Settings"/> before the first client to change app settings.
/// </summary>
/// <remarks>
/// The entry point is named through <see cref="StudioOptions"/> because the CLI's top-level <c>Program</c> is
/// referenced by this test project too (the factory only needs a type from the web app's assembly).
/// </remarks>
public class StudioAppFactory : WebApplicationFactory<StudioOptions>
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"camstudio-web-{Guid.NewGuid():N}");

    public StudioAppFactory()
    {
        ModelsDirectory = Path.Combine(_root, "models");
        DataDirectory = Path.Combine(_root, "data");
        Directory.CreateDirectory(DataDirectory);
        var catalog = new ModelCatalog(ModelsDirectory);
        catalog.Add(SharedResources.Model, new AddModelOptions { Name = "mobilenetv2", Labels = SharedResources.ImageNetLabels }, TorchRuntime.DefaultDevice);
    }

    public string ModelsDirectory { get; }

    public string DataDirectory { get; }

    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>Starts the app on real Kestrel (127.0.0.1, a free port), for a browser; returns its base address.</summary>
    public string StartKestrel()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        UseKestrel(options => options.Listen(IPAddress.Loopback, port));
        StartServer();
        return $"http://127.0.0.1:{port}";
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("CamStudio:DataDirectory", DataDirectory);
        foreach ((string key, string value) in Settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            // CAMSTUDIO_MODELS (set by scripts/test.sh) would win over app settings, so the catalog is replaced outright.
            services.RemoveAll<ModelCatalog>();
            services.AddSingleton(new ModelCatalog(ModelsDirectory));
            services.AddSingleton<IStartupFilter, InMemoryClientIsTheHost>();
        });
    }

    /// <summary>
    /// The in-memory test server gives requests no remote address, which the app (rightly) does not take for the
    /// host; these tests play the host, so their requests come from loopback.
    /// </summary>
    private sealed class InMemoryClientIsTheHost : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return nextMiddleware(context);
            });
            next(app);
        };
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
