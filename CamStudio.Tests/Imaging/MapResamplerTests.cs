using CamStudio.Engine.Imaging;
using CamStudio.Tests.Support;
using static TorchSharp.torch;

namespace CamStudio.Tests.Imaging;

[Collection(TorchCollection.Name)]
public sealed class MapResamplerTests
{
    [Theory]
    [InlineData(7, 7, 224, 224)]
    [InlineData(7, 7, 451, 300)]
    [InlineData(14, 9, 300, 451)]
    [InlineData(20, 13, 7, 5)]   // downsampling follows the same rule (no antialias)
    [InlineData(1, 1, 5, 3)]
    [InlineData(7, 7, 7, 7)]
    public void MatchesTorchBilinearInterpolationWithoutAlignedCorners(int width, int height, int targetWidth, int targetHeight)
    {
        float[] map = TestImages.RandomMap(width * height, seed: width * 1000 + targetWidth);
        long tensorsBefore = LiveTensors.OnThisThread();

        float[] expected;
        using (var scope = NewDisposeScope())
        {
            Tensor input = tensor(map, [1, 1, height, width]);
            Tensor output = nn.functional.interpolate(input, size: [targetHeight, targetWidth],
                mode: InterpolationMode.Bilinear, align_corners: false);
            expected = output.data<float>().ToArray();
        }
        Assert.Equal(tensorsBefore, LiveTensors.OnThisThread());

        float[] actual = MapResampler.Resize(map, width, height, targetWidth, targetHeight);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f, $"index {i}: torch {expected[i]}, ours {actual[i]}");
    }

    [Fact]
    public void TwoValuesUpsampledToFourFollowTheHalfPixelRule()
    {
        // Source x = (d + 0.5)·(2/4) − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (right neighbour clamped).
        float[] result = MapResampler.Resize([0f, 1f], 2, 1, 4, 1);
        Assert.Equal([0f, 0.25f, 0.75f, 1f], result);
    }

    [Fact]
    public void InvalidSizesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => MapResampler.Resize([1f, 2f, 3f], 2, 2, 4, 4));
        Assert.Throws<ArgumentException>(() => MapResampler.Resize([1f], 1, 1, 0, 4));
    }
}
