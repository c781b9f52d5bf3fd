using System.Net;
using CamStudio.Engine.Models.Catalog;
using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CamStudio.Tests.Jobs.Support;

/// <summary>
/// The CamStudio app (entry assembly of <see cref="JobStore"/>: <c>Program</c> is ambiguous with the CLI) for job tests: its own data folder, small batches, a known access code, and the explainer
/// (the real engine over the shared MobileNetV2, unless a test passes another) wrapped in a <see cref="GatedExplainer"/>. With <c>kestrel: true</c> it listens on 127.0.0.1 (free port) for
/// real SignalR/HTTP clients. A request carrying <see cref="LanPeerHeader"/> is seen as coming from that
/// (non-loopback) address: a test-only startup filter sets <c>RemoteIpAddress</c>, so no traffic leaves loopback.
/// </summary>
public sealed class JobsAppFactory : WebApplicationFactory<JobStore>
{
    public const string LanPeerHeader = "X-Test-Lan-Peer";
    public const string Code = "TEST-C0DE";

    /// <summary><see cref="LanPeerHeader"/> value for a connection without an address (a Unix socket, a same-host proxy).</summary>
    public const string NoAddress = "none";

    private readonly bool _kestrel;
    private readonly int _batchSize;

    private readonly IReadOnlyDictionary<string, string> _settings;
    private readonly bool _ownsData; // a data folder passed in (a restarted server) is the caller's to delete
    private readonly string? _modelsDirectory;

    public JobsAppFactory(bool kestrel = false, int batchSize = 2, IPhotoBatchExplainer? explainer = null, IPAddress? listenOn = null,
        IReadOnlyDictionary<string, string>? settings = null, string? dataDirectory = null, string? modelsDirectory = null)
    {
        _modelsDirectory = modelsDirectory;
        _settings = settings ?? new Dictionary<string, string>();
        _ownsData = dataDirectory is null;
        _kestrel = kestrel;
        _batchSize = batchSize;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "camstudio-jobs-tests", Guid.NewGuid().ToString("N"));
        if (_ownsData)
            Directory.CreateDirectory(DataDirectory);
        Explainer = new GatedExplainer { Inner = explainer };
        if (kestrel)
            UseKestrel(options => options.Listen(listenOn ?? IPAddress.Loopback, 0));
    }

    public string DataDirectory { get; }

    public GatedExplainer Explainer { get; }

    /// <summary>Replaces the real disk's free space (set before the first client), e.g. <see cref="FakeDiskSpace"/>.</summary>
    public IDiskSpace? Disk { get; set; }

    /// <summary>Changes job options after the test defaults (set before the first client).</summary>
    public Action<JobOptions>? ConfigureJobs { get; set; }

    /// <summary>Every line the app logged (category, level, message), for tests that check what is logged.</summary>
    public LogCollector Logs { get; } = new();

    /// <summary>http://127.0.0.1:port/ (or the address given to listen on) once the Kestrel server has started.</summary>
    public Uri ServerAddress
    {
        get
        {
            if (!_kestrel)
                throw new InvalidOperationException("This factory uses the in-memory test server.");
            StartServer();
            string address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address.EndsWith('/') ? address : address + "/");
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("CamStudio:AccessCode", Code);
        builder.UseSetting("CamStudio:DataDirectory", DataDirectory);
        foreach (var (key, value) in _settings)
            builder.UseSetting(key, value);
        builder.ConfigureTestServices(services =>
        {
            services.PostConfigure<JobOptions>(o =>
            {
                o.DataDirectory = DataDirectory;
                o.BatchSize = _batchSize;
                ConfigureJobs?.Invoke(o);
            });
            if (Disk is not null)
            {
                services.RemoveAll<IDiskSpace>();
                services.AddSingleton(Disk);
            }
            services.RemoveAll<ModelCatalog>();
            services.AddSingleton(_ => new ModelCatalog(_modelsDirectory ?? TestModels.Directory));
            services.RemoveAll<IPhotoBatchExplainer>();
            services.AddSingleton<EnginePhotoBatchExplainer>();
            services.AddSingleton<IPhotoBatchExplainer>(sp =>
            {
                Explainer.Inner ??= sp.GetRequiredService<EnginePhotoBatchExplainer>();
                return Explainer;
            });
            services.AddSingleton<IStartupFilter, LanPeerStartupFilter>();
            services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsData)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // SQLite may still hold the WAL for a moment, or the folder is a read-only test mount; temp folders are cleaned by the OS.
            }
        }
    }

    private sealed class LanPeerStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (context.Request.Headers.TryGetValue(LanPeerHeader, out var peer) || context.Request.Query.TryGetValue("testLanPeer", out peer))
                    context.Connection.RemoteIpAddress = peer.ToString() == NoAddress ? null : IPAddress.Parse(peer.ToString());
                else
                    context.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                await nextMiddleware(context);
            });
            next(app);
        };
    }
}
