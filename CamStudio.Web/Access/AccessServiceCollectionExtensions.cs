using CamStudio.Web.Jobs;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CamStudio.Web.Access;

/// <summary>Wiring of LAN access: the code, sessions, the throttle and the checks in front of every endpoint.</summary>
public static class AccessServiceCollectionExtensions
{
    public static IServiceCollection AddCamStudioAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessOptions>().Bind(configuration.GetSection(AccessOptions.Section))
            .Validate(o => o.WrongCodesPerMinute >= 1, "CamStudio:WrongCodesPerMinute must be at least 1.");
        services.TryAddSingleton(_ => AccessCode.FromConfiguration(configuration));
        services.TryAddSingleton<WrongCodeLimiter>();
        services.TryAddSingleton(sp => new StudioSessions(sp.GetRequiredService<IDataProtectionProvider>(), sp.GetRequiredService<IOptions<AccessOptions>>(),
            sp.GetRequiredService<IOptions<JobOptions>>().Value.DataDirectory, sp.GetRequiredService<ILogger<StudioSessions>>()));
        // Session cookies and antiforgery tokens are signed with keys kept in the data folder, so they outlive a restart.
        services.AddDataProtection().SetApplicationName("CamStudio");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<JobOptions>, ILoggerFactory>((keys, jobs, logs) =>
        {
            var folder = new DirectoryInfo(Path.Combine(jobs.Value.DataDirectory, "keys"));
            try
            {
                folder.Create();
                keys.XmlRepository = new FileSystemXmlRepository(folder, logs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A read-only data folder: keys live in memory, so LAN viewers enter the code again after a restart.
                logs.CreateLogger(typeof(AccessServiceCollectionExtensions)).LogWarning("Keys cannot be kept in {Folder}: {Error}", folder.FullName, ex.Message);
            }
        });
        services.AddAntiforgery();
        services.TryAddSingleton<EndedSessionHubFilter>();
        services.Configure<HubOptions>(o => o.AddFilter<EndedSessionHubFilter>()); // every hub, Blazor's circuit hub included
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            // Only a proxy on this machine (loopback, or a Unix socket, which has no address) is believed.
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = 1;
        });
        return services;
    }

    /// <summary>
    /// The checks in front of every page, API call and hub, in order: security headers, the Host check, (with
    /// <c>CamStudio:TrustedProxy</c>) the proxy's forwarded client address and scheme, the Origin check, then the
    /// access-code gate that sets the caller. Call it first. Also maps <c>/api/sessions</c>. Logs a generated code.
    /// </summary>
    public static WebApplication UseCamStudioAccess(this WebApplication app)
    {
        AccessCode code = app.Services.GetRequiredService<AccessCode>();
        if (code.Generated)
        {
            // Shown once at start so the host can read it out; set CamStudio:AccessCode or --access-code to fix one.
            Console.WriteLine($"Access code for LAN viewers: {code.Code}");
            app.Logger.LogWarning("Access code for LAN viewers: {AccessCode} (generated at start)", code.Code);
        }
        else
        {
            // A configured code is a secret the host already knows: it is not written to the logs.
            app.Logger.LogInformation("LAN viewers need the configured access code (CamStudio:AccessCode or --access-code)");
        }
        AccessOptions options = app.Services.GetRequiredService<IOptions<AccessOptions>>().Value;
        app.UseMiddleware<SecurityHeaders>();
        app.UseMiddleware<HostHeaderCheck>();
        if (options.TrustedProxy)
        {
            app.Logger.LogInformation("Trusting X-Forwarded-For/-Proto from a reverse proxy on this machine (CamStudio:TrustedProxy)");
            app.UseForwardedHeaders();
        }
        app.UseMiddleware<RequestOriginCheck>();
        app.UseMiddleware<AccessCodeMiddleware>();
        app.MapSessionsApi();
        return app;
    }
}
