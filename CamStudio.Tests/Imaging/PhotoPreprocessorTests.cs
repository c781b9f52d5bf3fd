using CamStudio.Engine.Imaging;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp.PixelFormats;
using static TorchSharp.torch;

namespace CamStudio.Tests.Imaging;

[Collection(TorchCollection.Name)]
public sealed class PhotoPreprocessorTests
{
    private static readonly PreprocessingSpec ImageNet = PreprocessingSpec.ImageNet();

    [Fact]
    public void ConstantColourPhotoGivesTheNormalisedValueInEveryChannel()
    {
        var colour = new Rgb24(10, 128, 250);
        using var photo = TestImages.Solid(50, 30, colour);
        long tensorsBefore = LiveTensors.OnThisThread();

        float[] values;
        using (Tensor batch = PhotoPreprocessor.ToTensor(photo, ImageNet))
        {
            Assert.Equal([1L, 3L, 224L, 224L], batch.shape);
            Assert.Equal(ScalarType.Float32, batch.dtype);
            values = batch.data<float>().ToArray();
        }
        Assert.Equal(tensorsBefore, LiveTensors.OnThisThread());

        byte[] channels = [colour.R, colour.G, colour.B];
        int plane = 224 * 224;
        for (int c = 0; c < 3; c++)
        {
            // ((c / 255) − mean) / std, evaluated in double as the reference
            double expected = (channels[c] / 255.0 - ImageNet.Mean[c]) / ImageNet.Std[c];
            for (int i = 0; i < plane; i++)
                Assert.Equal(expected, values[c * plane + i], 1e-5);
        }
    }

    [Fact]
    public void PhotoAtInputSizeIsLaidOutChannelsFirstRowByRow()
    {
        using var photo = TestImages.Noise(224, 224, seed: 5);
        float[] values;
        using (Tensor batch = PhotoPreprocessor.ToTensor(photo, ImageNet))
            values = batch.data<float>().ToArray();

        foreach ((int x, int y) in new[] { (0, 0), (223, 0), (10, 20), (200, 223) })
        {
            Rgb24 p = photo[x, y];
            Assert.Equal(Normalised(p.R, 0), values[0 * 224 * 224 + y * 224 + x], 1e-5);
            Assert.Equal(Normalised(p.G, 1), values[1 * 224 * 224 + y * 224 + x], 1e-5);
            Assert.Equal(Normalised(p.B, 2), values[2 * 224 * 224 + y * 224 + x], 1e-5);
        }
    }

    [Fact]
    public void StretchKeepsTheLeftHalfOfThePhotoOnTheLeftHalfOfTheTensor()
    {
        using var photo = HalvesPhoto(200, 100); // wide: stretch squeezes it, no crop
        using var scope = NewDisposeScope(); // frees the indexing temporaries
        Tensor batch = PhotoPreprocessor.ToTensor(photo, ImageNet with { Resize = ResizeMode.Stretch });

        float redLeft = batch[0, 0, 112, 50].item<float>();
        float redRight = batch[0, 0, 112, 170].item<float>();
        float blueRight = batch[0, 2, 112, 170].item<float>();

        Assert.Equal(Normalised(255, 0), redLeft, 1e-4);
        Assert.Equal(Normalised(0, 0), redRight, 1e-4);
        Assert.Equal(Normalised(255, 2), blueRight, 1e-4);
        // The boundary sits at the tensor's centre column: columns 0..110 are red, 113..223 are not.
        Tensor redRow = batch[0, 0, 112];
        float[] row = redRow.data<float>().ToArray();
        Assert.All(row[..110], v => Assert.Equal(Normalised(255, 0), v, 4));
        Assert.All(row[114..], v => Assert.Equal(Normalised(0, 0), v, 4));
    }

    [Fact]
    public void CenterCropOfAWidePhotoKeepsOnlyItsMiddle()
    {
        // 300×100 in thirds: red | green | blue. Scaled to 672×224 and centre-cropped to 224, only green remains.
        using var photo = TestImages.Solid(300, 100, new Rgb24(255, 0, 0));
        for (int y = 0; y < 100; y++)
            for (int x = 100; x < 300; x++)
                photo[x, y] = x < 200 ? new Rgb24(0, 255, 0) : new Rgb24(0, 0, 255);

        using var scope = NewDisposeScope(); // frees the indexing temporaries
        Tensor crop = PhotoPreprocessor.ToTensor(photo, ImageNet with { Resize = ResizeMode.CenterCrop });
        Tensor stretch = PhotoPreprocessor.ToTensor(photo, ImageNet with { Resize = ResizeMode.Stretch });

        for (int x = 3; x < 221; x += 7)
        {
            Assert.Equal(Normalised(255, 1), crop[0, 1, 100, x].item<float>(), 1e-4);
            Assert.Equal(Normalised(0, 0), crop[0, 0, 100, x].item<float>(), 1e-4);
        }
        Assert.Equal(Normalised(255, 0), stretch[0, 0, 100, 10].item<float>(), 1e-4);
        Assert.Equal(Normalised(255, 2), stretch[0, 2, 100, 213].item<float>(), 1e-4);
    }

    [Fact]
    public void CenterCropRegionFollowsTorchvisionForAPortraitPhoto()
    {
        var spec = ImageNet with { Resize = ResizeMode.CenterCrop };
        var region = PhotoPreprocessor.CenterCropRegion(300, 451, spec, out var resized);

        // shorter side 300 → 224: 451·224/300 = 336.75 → 337; top = round((337 − 224) / 2) = round(56.5) = 56
        Assert.Equal((224, 337), (resized.Width, resized.Height));
        Assert.Equal((0, 56, 224, 224), (region.X, region.Y, region.Width, region.Height));
    }

    [Fact]
    public void BatchStacksPhotosInOrderWithNonSquareInput()
    {
        var spec = new PreprocessingSpec(32, 16, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f], ResizeMode.Stretch);
        using var black = TestImages.Solid(40, 40, new Rgb24(0, 0, 0));
        using var white = TestImages.Solid(10, 70, new Rgb24(255, 255, 255));
        long tensorsBefore = LiveTensors.OnThisThread();

        float[] values;
        using (Tensor batch = PhotoPreprocessor.ToBatch([black, white, black], spec, CPU))
        {
            Assert.Equal([3L, 3L, 16L, 32L], batch.shape);
            values = batch.data<float>().ToArray();
        }
        Assert.Equal(tensorsBefore, LiveTensors.OnThisThread());

        int photoSize = 3 * 16 * 32;
        Assert.All(values[..photoSize], v => Assert.Equal(-1f, v));                  // (0 − 0.5) / 0.5
        Assert.All(values[photoSize..(2 * photoSize)], v => Assert.Equal(1f, v));    // (1 − 0.5) / 0.5
        Assert.All(values[(2 * photoSize)..], v => Assert.Equal(-1f, v));
    }

    [Fact]
    public void BadInputIsRejectedClearly()
    {
        using var photo = TestImages.Solid(4, 4, new Rgb24(0, 0, 0));
        Assert.Throws<ArgumentException>(() => PhotoPreprocessor.ToBatch([], ImageNet));
        Assert.Throws<ArgumentException>(() => PhotoPreprocessor.ToTensor(photo, ImageNet with { Std = [1f, 0f, 1f] }));
        Assert.Throws<ArgumentException>(() => PhotoPreprocessor.ToTensor(photo, ImageNet with { Mean = [0f, 0f] }));
    }

    private static float Normalised(byte value, int channel) =>
        (float)((value / 255.0 - ImageNet.Mean[channel]) / ImageNet.Std[channel]);

    private static SixLabors.ImageSharp.Image<Rgb24> HalvesPhoto(int width, int height)
    {
        var photo = TestImages.Solid(width, height, new Rgb24(255, 0, 0));
        for (int y = 0; y < height; y++)
            for (int x = width / 2; x < width; x++)
                photo[x, y] = new Rgb24(0, 0, 255);
        return photo;
    }
}
