using CamStudio.Engine.Models.Catalog;
using CamStudio.Engine.Runtime;
using CamStudio.Web.Hosting;
using CamStudio.Web.Jobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CamStudio.Tests.Web;

/// <summary>The studio and batch jobs register the shared engine core alike, so the app has one of each.</summary>
public sealed class EngineRegistrationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheStudioAndJobsShareOneTorchThreadCatalogAndModelCacheInEitherOrder(bool studioFirst)
    {
        IConfiguration configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();
        if (studioFirst)
            services.AddCamEngine(configuration).AddCamStudioJobs(configuration);
        else
            services.AddCamStudioJobs(configuration).AddCamEngine(configuration);

        Assert.Single(services, d => d.ServiceType == typeof(TorchExecutor));
        Assert.Single(services, d => d.ServiceType == typeof(ModelCatalog));
        ServiceDescriptor loaded = Assert.Single(services, d => d.ServiceType == typeof(LoadedModels));
        Assert.Equal(ServiceLifetime.Singleton, loaded.Lifetime);
    }
}
