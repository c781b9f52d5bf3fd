using CamStudio.Engine;
using CamStudio.Engine.Cam.Features;
using CamStudio.Tests.Engine;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam.Features;

/// <summary>DFF's NMF on a hand-built non-negative matrix of known rank, and concepts through the engine.</summary>
[Collection(TorchCollection.Name)]
public sealed class DeepFeatureFactorizationTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public void NmfReconstructsANonNegativeMatrixOfKnownRank()
    {
        long before = LiveTensors.OnThisThread();
        using (DisposeScope scope = torch.NewDisposeScope())
        {
            // 24 channels × 36 positions = (24 × 3)·(3 × 36): three "parts", each strong on its own third of the positions.
            double[] w0 = Enumerable.Range(0, 24 * 3).Select(i => 0.1 + Math.Abs(Math.Sin(i * 0.7))).ToArray();
            double[] h0 = Enumerable.Range(0, 3 * 36).Select(i => (i % 36) / 12 == i / 36 ? 1.0 + 0.5 * Math.Cos(i) : 0.05).ToArray();
            Tensor x = torch.tensor(w0).reshape(24, 3).mm(torch.tensor(h0).reshape(3, 36));
            (Tensor w, Tensor h) = DeepFeatureFactorization.Factorize(x, 3);
            Assert.True(w.min().item<double>() >= 0 && h.min().item<double>() >= 0);
            double error = (x - w.mm(h)).norm().item<double>() / x.norm().item<double>();
            Assert.True(error < 1e-3, $"Relative reconstruction error {error:g3}.");
            (Tensor w2, Tensor h2) = DeepFeatureFactorization.Factorize(x, 2);
            double tooFew = (x - w2.mm(h2)).norm().item<double>() / x.norm().item<double>();
            Assert.True(tooFew > 0.05, $"Two components should not reconstruct a rank-3 matrix (error {tooFew:g3}).");
        }
        Assert.Equal(before, LiveTensors.OnThisThread());
    }

    [Fact]
    public async Task ConceptsOfAPhotoHaveMapsClassesAndAPictureWithALegend()
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        ConceptExplanation concepts = await fixture.Engine.ConceptsAsync(new ConceptRequest { Model = EngineFixture.Tiny, Concepts = 3 }, photo);
        Assert.Equal(3, concepts.Concepts.Count);
        Assert.All(concepts.Concepts, c =>
        {
            Assert.Equal(2, c.TopClasses.Count);
            Assert.All(c.Map.Map.Raw, v => Assert.True(v >= 0));
        });
        Assert.StartsWith("1: class ", concepts.Legend[0], StringComparison.Ordinal);
        using Image<Rgb24> picture = concepts.Render(photo);
        Assert.True(picture.Height > photo.Height, "The legend goes below the photo.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public async Task AConceptCountOutOfRangeIsAClearError(int k)
    {
        using Image<Rgb24> photo = EngineFixture.Photo("cat.bmp");
        CamRequestException error = await Assert.ThrowsAsync<CamRequestException>(() =>
            fixture.Engine.ConceptsAsync(new ConceptRequest { Model = EngineFixture.Tiny, Concepts = k }, photo));
        Assert.Equal(ConceptFields.Concepts, error.Field);
        Assert.Contains("from 1 to 16", error.Message, StringComparison.Ordinal);
    }
}
