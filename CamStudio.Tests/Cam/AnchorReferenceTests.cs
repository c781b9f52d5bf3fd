using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Methods;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam;

/// <summary>
/// Our maps against pytorch-grad-cam's and TorchCAM's own code on the same weights and inputs: the references in
/// CamStudio.Tests/References were written by scripts/anchor-references.py (resnet18 with seeded weights, layer4,
/// three shared photos, the first only for Score-CAM and Ablation-CAM); every method both have must agree with Pearson ≥ 0.99 on every photo.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class AnchorReferenceTests(AnchorReferenceTests.Model fixture) : IClassFixture<AnchorReferenceTests.Model>
{
    private const double MinimumPearson = 0.99;

    /// <summary>Our methods that pytorch-grad-cam or TorchCAM also has: each must have a reference.</summary>
    public static readonly string[] SharedMethods =
    [
        "cam", "gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "eigencam", "scorecam", "ablationcam",
        "gradcam-elementwise", "eigengradcam", "smoothgradcam++", "shapleycam", "fullgrad", "kpcacam", "fem", "finercam",
    ];

    public static TheoryData<string> Methods() => new(SharedMethods);

    [Fact]
    public void EveryMethodBothLibrariesHaveHasAReference()
    {
        Assert.All(SharedMethods, id => Assert.True(AnchorReferences.Manifest.Methods.ContainsKey(id),
            $"No reference map for {id} in CamStudio.Tests/References/references.json; run scripts/anchor-references.py."));
        Assert.All(SharedMethods, id => CamMethods.Get(id));
    }

    /// <summary>The script's weights, input and noise are ours: the logits of the first photo and the smoothing noise agree.</summary>
    [Fact]
    public void TheSeededModelAndTheNoiseAreTheScriptsOwn()
    {
        using var scope = torch.NewDisposeScope();
        float[] logits;
        using (torch.no_grad())
            logits = fixture.Resnet.Module.call(SeededResNet18.Photo(AnchorReferences.Manifest.Photos[0]))[0][..8].data<float>().ToArray();
        MapAssert.Close(AnchorReferences.Manifest.LogitsFirstValues, logits, 1e-4, "logits of the first photo");
        float[] noise = SmoothGradCamPlusPlus.Noise(4, SeededResNet18.InputSize, SeededResNet18.InputSize, 1.0).flatten()[..8].data<float>().ToArray();
        MapAssert.Close(AnchorReferences.Manifest.SmoothNoiseFirstValues, noise, 1e-6, "Smooth Grad-CAM++ noise");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void OurMapCorrelatesWithTheReferenceLibrarysOnEveryPhoto(string method)
    {
        AnchorReferences.ReferenceManifest manifest = AnchorReferences.Manifest;
        AnchorReferences.ReferenceMethod reference = manifest.Methods.TryGetValue(method, out AnchorReferences.ReferenceMethod? found) ? found
            : throw new InvalidOperationException($"No reference map for {method}; run scripts/anchor-references.py.");
        float[] expected = AnchorReferences.Maps(reference.File);
        int size = reference.Shape[1] * reference.Shape[2];
        Assert.Equal(reference.Shape[0] * size, expected.Length);

        for (int i = 0; i < reference.Shape[0]; i++)   // the perturbation methods: the first photo only
        {
            float[] ours = Ours(method, manifest.Photos[i], manifest.Classes[i], reference.Shape[1], reference.Shape[2]);
            double r = AnchorReferences.Pearson(expected.AsSpan(i * size, size).ToArray(), ours);
            Assert.True(r >= MinimumPearson, $"{method} on {manifest.Photos[i]}: Pearson {r:F4} against {reference.Library} (need ≥ {MinimumPearson}).");
        }
    }

    private float[] Ours(string method, string photo, int classIndex, int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        Tensor batch = SeededResNet18.Photo(photo);
        PhotoExplanation explanation = CamExplainer.Explain(fixture.Resnet, batch,
            new ExplainRequest([method], new ClassSelection.Indices([classIndex]), AnchorReferences.Manifest.Layer)).Single();
        var map = explanation.Maps.Single().Map;
        if (map.Height == height && map.Width == width)
            return map.Raw;
        // FullGrad is at the input's resolution; the reference is mean-pooled to the stored size.
        Tensor pooled = nn.functional.avg_pool2d(torch.tensor(map.Raw, [1, 1, map.Height, map.Width]), [map.Height / height, map.Width / width]);
        return pooled.flatten().data<float>().ToArray();
    }

    /// <summary>The seeded resnet18, built once for the class.</summary>
    public sealed class Model : IDisposable
    {
        public ModuleCamModel Resnet { get; } = SeededResNet18.Create();

        public void Dispose() => Resnet.Dispose();
    }
}
