using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using SixLabors.ImageSharp;

namespace CamStudio.Tests.Imaging;

/// <summary>The one .npy contract (normalised at input size + raw at layer size) and map placement, checked by hand.</summary>
public sealed class MapFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("camstudio-mapfiles-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void WriteGivesTheNormalisedMapAtInputSizeAndTheRawMapAtLayerSize()
    {
        var map = new PlacedMap(new CamMap(2, 2, [0f, 1f, 2f, 3f]), MapPlacement.WholePhoto, 4, 4);

        (string normalised, string raw) = MapFiles.Write(_folder, "cat", "gradcam", 281, map);

        Assert.Equal(("cat.gradcam.281.npy", "cat.gradcam.281.raw.npy"), (normalised, raw));
        NpyArray rawArray = NpyFormat.ReadFile(Path.Combine(_folder, raw));
        Assert.Equal([2, 2], rawArray.Shape);
        Assert.Equal([0f, 1f, 2f, 3f], rawArray.Data);
        // Bilinear 2→4 with half-pixel centres (PyTorch, align_corners=false): source x = (x + 0.5)/2 − 0.5, clamped,
        // so rows and columns sample at 0, 0.25, 0.75, 1; values a + 2·row + col over [0, 3], divided by 3.
        float[] at = [0f, 0.25f, 0.75f, 1f];
        float[] expected = [.. at.SelectMany(y => at.Select(x => (2 * y + x) / 3f))];
        NpyArray normalisedArray = NpyFormat.ReadFile(Path.Combine(_folder, normalised));
        Assert.Equal([4, 4], normalisedArray.Shape);
        Assert.Equal(expected, normalisedArray.Data, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void ACentreCropModelsMapIsPlacedOnTheMiddleOfAWidePhotoAtAnyDisplaySize()
    {
        var spec = PreprocessingSpec.ImageNet() with { Resize = ResizeMode.CenterCrop };

        MapPlacement placement = PhotoPreprocessor.Placement(300, 100, spec);

        Assert.Equal(1 / 3.0, placement.Left, 1e-9);
        Assert.Equal(0, placement.Top, 1e-9);
        Assert.Equal(1 / 3.0, placement.Width, 1e-9);
        Assert.Equal(1, placement.Height, 1e-9);
        Assert.Equal(new Rectangle(100, 0, 100, 100), placement.On(300, 100));
        Assert.Equal(new Rectangle(200, 0, 200, 200), placement.On(600, 200));
        Assert.Equal(new Rectangle(0, 0, 300, 100), PhotoPreprocessor.Placement(300, 100, PreprocessingSpec.ImageNet()).On(300, 100));
    }
}
