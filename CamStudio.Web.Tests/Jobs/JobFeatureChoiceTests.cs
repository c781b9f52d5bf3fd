using CamStudio.Web.Jobs;

namespace CamStudio.Tests.Jobs;

/// <summary>The jobs form's request features as the job's settings (and so the engine's request) carry them.</summary>
public sealed class JobFeatureChoiceTests
{
    [Fact]
    public void FusedLayersFollowTheJobsLayerAndTheSmoothingSwitchesAreKept()
    {
        var choice = new JobFeatureChoice { FusedLayers = ["layer3", "layer4"], Fuse = "max", AugSmooth = true, EigenSmooth = true };

        JobSettings settings = choice.ApplyTo(JobSettings.Default with { Layer = "layer4" });

        Assert.Equal(["layer4", "layer3"], settings.Layers);
        Assert.Equal("max", settings.Fuse);
        Assert.True(settings.AugSmooth);
        Assert.True(settings.EigenSmooth);
        var request = EnginePhotoBatchExplainer.RequestOf(settings, "owner");
        Assert.Equal(["layer4", "layer3"], request.Layers);
        Assert.Equal("max", request.Fuse);
        Assert.True(request.AugSmooth && request.EigenSmooth);
    }

    [Fact]
    public void NoFusedLayerLeavesTheJobOnItsOneLayer()
    {
        JobSettings settings = new JobFeatureChoice { Fuse = "max" }.ApplyTo(JobSettings.Default);

        Assert.Empty(settings.Layers);
        Assert.Null(settings.Fuse);
        Assert.False(settings.AugSmooth);
    }
}
