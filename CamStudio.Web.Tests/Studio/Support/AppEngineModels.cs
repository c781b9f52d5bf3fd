using CamStudio.Engine;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Web.Support;

/// <summary>Registers an in-memory model with a test app's own engine, on its torch thread.</summary>
public static class AppEngineModels
{
    public static Task AddModelAsync(this IServiceProvider services, string name, ICamModel model)
    {
        CamEngine engine = services.GetRequiredService<CamEngine>();
        return services.GetRequiredService<TorchExecutor>().RunAsync(_ => engine.AddModel(name, model));
    }
}
