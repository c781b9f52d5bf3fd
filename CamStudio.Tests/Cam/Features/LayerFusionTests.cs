using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Maps;

namespace CamStudio.Tests.Cam.Features;

/// <summary>The four fusion rules against arithmetic done by hand on known maps.</summary>
public sealed class LayerFusionTests
{
    private static readonly CamMap A = new(2, 2, [0, 1, 2, 3]);   // scaled: 0, 1/3, 2/3, 1
    private static readonly CamMap B = new(2, 2, [4, -2, 0, 2]);  // ReLU'd then scaled: 1, 0, 0, ½; scaled: 1, 0, ⅓, ⅔

    [Fact]
    public void MeanScalesTheRectifiedMapsAndAveragesThem() =>
        AssertValues([0.5f, 1f / 6, 1f / 3, 0.75f], LayerFusions.Fuse([A, B], LayerFusion.Mean));

    [Fact]
    public void MaxTakesTheLargerScaledValue() =>
        AssertValues([1f, 1f / 3, 2f / 3, 1f], LayerFusions.Fuse([A, B], LayerFusion.Max));

    [Fact]
    public void LayerCamFusionIsTheMaximumOfTanhOfTwiceTheScaledMaps() =>
        AssertValues([MathF.Tanh(2), MathF.Tanh(2f / 3), MathF.Tanh(4f / 3), MathF.Tanh(2)], LayerFusions.Fuse([A, B], LayerFusion.LayerCam));

    [Fact]
    public void RefineMultipliesTheScaledMaps() =>
        AssertValues([0f, 0f, 2f / 9, 2f / 3], LayerFusions.Fuse([A, B], LayerFusion.Refine));

    [Fact]
    public void ACoarserMapIsUpsampledToTheFinestBeforeFusing()
    {
        // 1 row × 2 columns → 2×2 by bilinear (align_corners false): each row repeats; scaled 0, 1.
        var coarse = new CamMap(2, 1, [0, 4]);
        CamMap fused = LayerFusions.Fuse([A, coarse], LayerFusion.Mean);
        Assert.Equal((2, 2), (fused.Width, fused.Height));
        AssertValues([0f, 2f / 3, 1f / 3, 1f], fused);
    }

    [Theory]
    [InlineData("MEAN", LayerFusion.Mean)]
    [InlineData(" layercam ", LayerFusion.LayerCam)]
    [InlineData("refinecam", LayerFusion.Refine)]
    public void NamesParseCaseInsensitively(string name, LayerFusion expected) => Assert.Equal(expected, LayerFusions.Parse(name));

    private static void AssertValues(float[] expected, CamMap map)
    {
        Assert.Equal(expected.Length, map.Raw.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], map.Raw[i], 1e-5);
    }
}
