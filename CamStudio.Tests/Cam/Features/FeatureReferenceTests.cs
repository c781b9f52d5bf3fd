using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Maps;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Tests.Cam.Features;

/// <summary>
/// The request features against pytorch-grad-cam's, TorchCAM's and ttach's own code on the seeded resnet18 and the
/// three shared photos (references written by <c>scripts/anchor-references.py --features</c>): aug_smooth and
/// eigen_smooth of Grad-CAM and Grad-CAM++, mean and max fusion of layer3 + layer4, guided backpropagation and Guided
/// Grad-CAM, and Deep Feature Factorization. Pearson ≥ 0.99 per photo (per concept for DFF).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FeatureReferenceTests(AnchorReferenceTests.Model fixture) : IClassFixture<AnchorReferenceTests.Model>
{
    private const double MinimumPearson = 0.99;
    private const string Layer3 = "layer3";

    public static TheoryData<string> Smoothed() => new(["aug-gradcam", "aug-gradcam++", "eigen-gradcam", "eigen-gradcam++"]);

    public static TheoryData<string> Fused() => new(["fuse-mean-gradcam", "fuse-max-gradcam"]);

    [Theory]
    [MemberData(nameof(Smoothed))]
    public void SmoothedMapsAgreeWithPytorchGradCam(string name)
    {
        bool eigen = name.StartsWith("eigen-", StringComparison.Ordinal);
        string method = name[(name.IndexOf('-', StringComparison.Ordinal) + 1)..];
        ForEachPhoto(name, (expected, photo, classIndex) =>
        {
            float[] ours = Explain(photo, classIndex, method, new ExplainFeatures([Manifest.Layer], LayerFusion.Mean, !eigen, eigen, false));
            if (!eigen)
                return AnchorReferences.Pearson(expected, ours);
            // The reference is pytorch-grad-cam's signed projection: SVD's sign is arbitrary there, chosen here; either sign's ReLU may be its map.
            return Math.Max(AnchorReferences.Pearson(Relu(expected, 1), ours), AnchorReferences.Pearson(Relu(expected, -1), ours));
        });
    }

    [Theory]
    [MemberData(nameof(Fused))]
    public void FusedLayersAgreeWithTheLibraryThatFusesThatWay(string name)
    {
        LayerFusion fusion = name.Contains("-max-", StringComparison.Ordinal) ? LayerFusion.Max : LayerFusion.Mean;
        ForEachPhoto(name, (expected, photo, classIndex) =>
            AnchorReferences.Pearson(expected, Explain(photo, classIndex, "gradcam", new ExplainFeatures([Layer3, Manifest.Layer], fusion, false, false, false))));
    }

    [Fact]
    public void GuidedBackpropagationAgreesWithPytorchGradCam() =>
        ForEachPhoto("guided", (expected, photo, classIndex) =>
        {
            using var scope = torch.NewDisposeScope();
            Tensor gradient = GuidedBackprop.InputGradients(fixture.Resnet, SeededResNet18.Photo(photo), [[classIndex]])[0];
            return AnchorReferences.Pearson(expected, Pooled(gradient));
        });

    /// <summary>Guided Grad-CAM as the studio and CLI draw it (deprocessed RGB) against pytorch-grad-cam's deprocess_image(cam × gradient).</summary>
    [Fact]
    public void GuidedGradCamPictureAgreesWithPytorchGradCams() =>
        ForEachPhoto("guided-gradcam", (expected, photo, classIndex) =>
        {
            using var scope = torch.NewDisposeScope();
            Tensor batch = SeededResNet18.Photo(photo);
            Tensor gradient = GuidedBackprop.InputGradients(fixture.Resnet, batch, [[classIndex]])[0];
            int size = SeededResNet18.InputSize;
            var guided = new GuidedGradient(classIndex, "", size, size, gradient.flatten().data<float>().ToArray());
            CamMap map = CamExplainer.Explain(fixture.Resnet, batch, new ExplainRequest(["gradcam"], new ClassSelection.Indices([classIndex]), Manifest.Layer))
                .Single().Maps.Single().Map;
            using Image<Rgb24> picture = GuidedImageRenderer.RenderWithMap(guided, new PlacedMap(map, MapPlacement.WholePhoto, size, size));
            var channels = new float[3 * size * size];
            picture.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < size; y++)
                {
                    Span<Rgb24> row = rows.GetRowSpan(y);
                    for (int x = 0; x < size; x++)
                    {
                        channels[y * size + x] = row[x].R;
                        channels[size * size + y * size + x] = row[x].G;
                        channels[2 * size * size + y * size + x] = row[x].B;
                    }
                }
            });
            return AnchorReferences.Pearson(expected, Pooled(torch.tensor(channels, [1, 3, size, size])));
        });

    /// <summary>
    /// NMF's concepts come in no particular order, and each splits its scale between profile and map arbitrarily
    /// (W·D, D⁻¹·H): each of ours is matched to one of pytorch-grad-cam's (the permutation with the highest summed map
    /// correlation), and every matched pair must correlate in its map and in its channel profile. The head's classes
    /// depend on that scale (the profile is scored with the layer's offset added back, and with the bias), so the class
    /// a concept is named by is compared with our profile brought to the reference's scale (least squares).
    /// </summary>
    [Fact]
    public void ConceptsMatchPytorchGradCamsUpToOrderAndScale()
    {
        AnchorReferences.ReferenceMethod reference = Reference("dff");
        int photos = reference.Shape[0], k = reference.Shape[1], size = reference.Shape[2] * reference.Shape[3];
        float[] maps = AnchorReferences.Maps(reference.File);
        AnchorReferences.ReferenceMethod profileReference = Reference("dff-profiles");
        float[] profiles = AnchorReferences.Maps(profileReference.File);
        int channels = profileReference.Shape[2];
        int[][] topClasses = reference.TopClasses ?? throw new InvalidDataException("The dff reference has no topClasses.");
        LinearHead head = fixture.Resnet.HeadAfter(Manifest.Layer) ?? throw new InvalidOperationException("resnet18 has a linear head after layer4.");
        for (int i = 0; i < photos; i++)
        {
            using var scope = torch.NewDisposeScope();
            using ModelRun run = fixture.Resnet.Run(SeededResNet18.Photo(Manifest.Photos[i]), Manifest.Layer, trackGradients: false);
            Tensor x = run.Activation[0].reshape(channels, -1).to(ScalarType.Float64);
            Tensor offset = x.min(1, keepdim: true).values;
            (Tensor w, Tensor h) = DeepFeatureFactorization.Factorize(x - offset, k);
            var r = new double[k, k];
            for (int a = 0; a < k; a++)
                for (int b = 0; b < k; b++)
                    r[a, b] = AnchorReferences.Pearson(maps.AsSpan((i * k + b) * size, size).ToArray(), h[a].to(ScalarType.Float32).data<float>().ToArray());
            int[] match = BestMatch(r, k);
            for (int a = 0; a < k; a++)
            {
                string concept = $"Concept {a} on {Manifest.Photos[i]} (pytorch-grad-cam's {match[a]})";
                Assert.True(r[a, match[a]] >= MinimumPearson, $"{concept}: map Pearson {r[a, match[a]]:F4} (need ≥ {MinimumPearson}).");
                Tensor theirs = torch.tensor(profiles.AsSpan((i * k + match[a]) * channels, channels).ToArray(), ScalarType.Float64) - offset.squeeze(1);
                Tensor ours = w[.., a];
                double p = AnchorReferences.Pearson(theirs.to(ScalarType.Float32).data<float>().ToArray(), ours.to(ScalarType.Float32).data<float>().ToArray());
                Assert.True(p >= MinimumPearson, $"{concept}: profile Pearson {p:F4} (need ≥ {MinimumPearson}).");
                Tensor scaled = ours * ((theirs * ours).sum() / (ours * ours).sum()) + offset.squeeze(1);
                Tensor scores = scaled.to(head.Weight.dtype).unsqueeze(0).mm(head.Weight.t());
                if (head.Bias is not null)
                    scores = scores + head.Bias;
                Assert.Equal(topClasses[i][match[a]], (int)scores.argmax().item<long>());
            }
        }
    }

    private static AnchorReferences.ReferenceManifest Manifest => AnchorReferences.Manifest;

    private static AnchorReferences.ReferenceMethod Reference(string name) =>
        Manifest.Features.TryGetValue(name, out AnchorReferences.ReferenceMethod? found) ? found
            : throw new InvalidOperationException($"No reference for {name} in CamStudio.Tests/References/references.json; run scripts/anchor-references.py --features.");

    /// <summary>Each photo's reference slice against <paramref name="correlate"/>'s Pearson, which must reach the minimum.</summary>
    private static void ForEachPhoto(string name, Func<float[], string, int, double> correlate)
    {
        AnchorReferences.ReferenceMethod reference = Reference(name);
        float[] expected = AnchorReferences.Maps(reference.File);
        int size = reference.Shape.Skip(1).Aggregate(1, (a, b) => a * b);
        Assert.Equal(reference.Shape[0] * size, expected.Length);
        for (int i = 0; i < reference.Shape[0]; i++)
        {
            double r = correlate(expected.AsSpan(i * size, size).ToArray(), Manifest.Photos[i], Manifest.Classes[i]);
            Assert.True(r >= MinimumPearson, $"{name} on {Manifest.Photos[i]}: Pearson {r:F4} against {reference.Library} (need ≥ {MinimumPearson}).");
        }
    }

    private float[] Explain(string photo, int classIndex, string method, ExplainFeatures features)
    {
        using var scope = torch.NewDisposeScope();
        ICamMethod m = CamMethods.Get(method);
        if (features.EigenSmooth)
            m = new EigenSmoothed((IChannelTermsMethod)m);
        IReadOnlyList<PhotoExplanation> explained = FeatureExplainer.Explain(fixture.Resnet, SeededResNet18.Photo(photo), [m], features,
            new ClassSelection.Indices([classIndex]), null, CancellationToken.None, out _);
        return explained.Single().Maps.Single().Map.Raw;
    }

    /// <summary>3×H×W mean-pooled 4×4, as the script stores full-resolution references.</summary>
    private static float[] Pooled(Tensor image)
    {
        using var scope = torch.NewDisposeScope();
        return nn.functional.avg_pool2d(image.reshape(1, 3, image.shape[^2], image.shape[^1]), [4, 4]).flatten().data<float>().ToArray();
    }

    private static float[] Relu(float[] values, int sign) => values.Select(v => Math.Max(sign * v, 0f)).ToArray();

    /// <summary>The permutation of <paramref name="k"/> (≤ 8) with the highest summed correlation: ours a ↦ theirs match[a].</summary>
    private static int[] BestMatch(double[,] r, int k)
    {
        int[] best = [], current = new int[k];
        double bestScore = double.NegativeInfinity;
        var used = new bool[k];
        void Search(int a, double score)
        {
            if (a == k)
            {
                if (score > bestScore)
                    (bestScore, best) = (score, (int[])current.Clone());
                return;
            }
            for (int b = 0; b < k; b++)
            {
                if (used[b])
                    continue;
                used[b] = true;
                current[a] = b;
                Search(a + 1, score + r[a, b]);
                used[b] = false;
            }
        }
        Search(0, 0);
        return best;
    }
}
