using CamStudio.Engine.Cam;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Tests.Support;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CamStudio.Tests.Models;

[Collection(TorchCollection.Name)]
public sealed class DenseNetTests : IDisposable
{
    private readonly string _tempDir = Directory.CreateTempSubdirectory("camstudio-densenet-").FullName;

    public void Dispose()
    {
        Directory.Delete(_tempDir, recursive: true);
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    /// <summary>
    /// torchvision's layout, derived from the paper's configuration rather than from the module:
    /// conv0, norm0, 4 dense blocks of (norm1, conv1 1×1 to 4k, norm2, conv2 3×3 to k) with transitions halving the
    /// channels, norm5, classifier. Batch norms have weight and bias (parameters) plus running stats.
    /// </summary>
    private static (long Parameters, int StateDictEntries) ExpectedTorchvisionLayout(int growth, int[] blocks, int initFeatures, int classes)
    {
        long parameters = 3L * initFeatures * 7 * 7 + 2L * initFeatures;
        int entries = 1 + 5; // conv0.weight; norm0.{weight,bias,running_mean,running_var,num_batches_tracked}
        long channels = initFeatures;
        for (int b = 0; b < blocks.Length; b++)
        {
            for (int layer = 0; layer < blocks[b]; layer++)
            {
                long input = channels + layer * growth;
                long bottleneck = 4L * growth;
                parameters += 2 * input + input * bottleneck + 2 * bottleneck + bottleneck * growth * 9;
                entries += 5 + 1 + 5 + 1;
            }
            channels += (long)blocks[b] * growth;
            if (b != blocks.Length - 1)
            {
                parameters += 2 * channels + channels * (channels / 2);
                entries += 5 + 1;
                channels /= 2;
            }
        }
        parameters += 2 * channels + channels * classes + classes;
        entries += 5 + 2;
        return (parameters, entries);
    }

    [Fact]
    public void DenseNet121HasTorchvisionsParameterCountAndStateDictSize()
    {
        var expected = ExpectedTorchvisionLayout(32, [6, 12, 24, 16], 64, 1000);
        Assert.Equal(7_978_856, expected.Parameters); // torchvision's published figure

        using (var model = DenseNet.DenseNet121())
        {
            Assert.Equal(expected.Parameters, model.parameters().Sum(p => p.numel()));
            Assert.Equal(expected.StateDictEntries, model.state_dict().Count);
            Assert.Equal(727, expected.StateDictEntries);
        }
    }

    [Theory]
    [InlineData("densenet169", 32, new[] { 6, 12, 32, 32 }, 64, 14_149_480)]
    [InlineData("densenet201", 32, new[] { 6, 12, 48, 32 }, 64, 20_013_928)]
    public void LargerDenseNetsHaveTorchvisionsParameterCount(string architecture, int growth, int[] blocks, int initFeatures, long published)
    {
        var expected = ExpectedTorchvisionLayout(growth, blocks, initFeatures, 1000);
        Assert.Equal(published, expected.Parameters);
        using (var model = DenseNet.Architectures[architecture](1000))
        {
            Assert.Equal(expected.Parameters, model.parameters().Sum(p => p.numel()));
            Assert.Equal(expected.StateDictEntries, model.state_dict().Count);
        }
    }

    [Fact]
    public void DenseNet121StateDictHasTorchvisionsNamesAndShapes()
    {
        // torchvision's densenet121 layout (k = 32, bottleneck 4k = 128; block 1 starts at 64 channels).
        var expected = new (string Name, long[] Shape)[]
        {
            ("features.conv0.weight", [64, 3, 7, 7]),
            ("features.norm0.running_mean", [64]),
            ("features.norm0.num_batches_tracked", []),
            ("features.denseblock1.denselayer1.norm1.weight", [64]),
            ("features.denseblock1.denselayer1.conv1.weight", [128, 64, 1, 1]),
            ("features.denseblock1.denselayer1.norm2.running_var", [128]),
            ("features.denseblock1.denselayer1.conv2.weight", [32, 128, 3, 3]),
            ("features.denseblock1.denselayer6.conv1.weight", [128, 224, 1, 1]),
            ("features.transition1.norm.weight", [256]),
            ("features.transition1.conv.weight", [128, 256, 1, 1]),
            ("features.denseblock2.denselayer12.norm1.bias", [480]),
            ("features.transition3.conv.weight", [512, 1024, 1, 1]),
            ("features.denseblock4.denselayer16.conv2.weight", [32, 128, 3, 3]),
            ("features.norm5.bias", [1024]),
            ("classifier.weight", [1000, 1024]),
            ("classifier.bias", [1000]),
        };
        using var model = DenseNet.DenseNet121();
        var stateDict = model.state_dict();
        foreach (var (name, shape) in expected)
        {
            Assert.True(stateDict.ContainsKey(name), $"state dict has no '{name}'");
            Assert.Equal(shape, stateDict[name].shape);
        }
        Assert.DoesNotContain("features.denseblock1.denselayer7.conv1.weight", stateDict.Keys);
        Assert.DoesNotContain("features.transition4.conv.weight", stateDict.Keys);
    }

    [Fact]
    public void ParameterlessFinalReluIsLastChildOfFeaturesAndAddsNoStateDictEntry()
    {
        using (var model = DenseNet.DenseNet121(numClasses: 10))
        {
            var children = model.named_modules().Where(m => m.name.StartsWith("features.") && m.name.Count(c => c == '.') == 1).Select(m => m.name).ToList();
            Assert.Equal("features.relu5", children[^1]);
            Assert.Equal("features.norm5", children[^2]);
            Assert.DoesNotContain(model.state_dict().Keys, key => key.Contains("relu"));
        }
    }

    [Fact]
    public void LogitsAreClassifierWeightsTimesAveragedPostReluFeatures()
    {
        torch.manual_seed(7);
        using var model = DenseNet.DenseNet121(numClasses: 5);
        model.eval();
        RandomiseBatchNormStatistics(model);
        Tensor? captured = null;
        var features = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == DenseNet.FeaturesLayer).module;
        var hook = features.register_forward_hook((_, _, output) =>
        {
            captured = output.alias().DetachFromDisposeScope();
            return output;
        });

        AssertNoTensorLeak(() =>
        {
            using var scope = NewDisposeScope();
            Tensor input = torch.randn(2, 3, 64, 64);
            Tensor logits;
            using (no_grad())
                logits = model.call(input);

            Assert.NotNull(captured);
            using Tensor activation = captured!;
            Assert.Equal(new long[] { 2, 1024, 2, 2 }, activation.shape);
            Assert.True(activation.min().item<float>() >= 0f, "features output must be after the final ReLU");
            Assert.True(activation.max().item<float>() > 0f);

            // Independent classic CAM identity: logits = W · mean_hw(A) + b, computed element by element.
            float[] a = activation.data<float>().ToArray();
            float[] w = model.Classifier.weight!.data<float>().ToArray();
            float[] bias = model.Classifier.bias!.data<float>().ToArray();
            float[] actual = logits.data<float>().ToArray();
            for (int n = 0; n < 2; n++)
                for (int k = 0; k < 5; k++)
                {
                    double sum = bias[k];
                    for (int c = 0; c < 1024; c++)
                    {
                        int offset = (n * 1024 + c) * 4;
                        double mean = (a[offset] + a[offset + 1] + a[offset + 2] + a[offset + 3]) / 4.0;
                        sum += w[k * 1024 + c] * mean;
                    }
                    Assert.Equal(sum, actual[n * 5 + k], 1e-3);
                }
        });
        hook.remove();
    }

    [Fact]
    public void StateDictSavedByPyBridgeLoadsStrictlyAndReproducesOutputs()
    {
        string path = Path.Combine(_tempDir, "densenet121.pt");
        torch.manual_seed(11);
        using var source = DenseNet.DenseNet121(numClasses: 7);
        source.eval();
        RandomiseBatchNormStatistics(source);
        source.save_py(path);

        torch.manual_seed(12);
        using var loaded = DenseNet.DenseNet121(numClasses: 7);
        loaded.eval();
        var loadedKeys = new Dictionary<string, bool>();
        loaded.load_py(path, strict: true, loadedParameters: loadedKeys);
        Assert.Equal(727, loadedKeys.Count);
        Assert.All(loadedKeys, pair => Assert.True(pair.Value, $"'{pair.Key}' was not loaded"));
        // The engine's strict loader takes the class count (7) from the file's classifier.
        using var viaEngine = (DenseNet)TorchVisionModels.Load("densenet121", path, device: CPU);
        Assert.Equal(7, viaEngine.NumClasses);

        AssertNoTensorLeak(() =>
        {
            using var scope = NewDisposeScope();
            Tensor input = torch.randn(1, 3, 64, 64);
            using (no_grad())
            {
                Tensor expected = source.call(input);
                Tensor actual = loaded.call(input);
                Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-5));
                Assert.True(expected.allclose(viaEngine.call(input), rtol: 1e-5, atol: 1e-5));
                // Different seeds: without loading, the two models would disagree.
                Assert.False(expected.abs().max().item<float>() == 0f);
            }
        });
    }

    [Theory]
    [InlineData("densenet121")]
    [InlineData("densenet161")]
    [InlineData("densenet169")]
    [InlineData("densenet201")]
    public void DenseNetsAreRegisteredWithTorchVisionModels(string architecture)
    {
        Assert.True(TorchVisionModels.IsKnown(architecture));
        Assert.Contains(architecture, TorchVisionModels.Names);
        using var module = TorchVisionModels.Create(architecture, classCount: 4, device: CPU);
        Assert.IsType<DenseNet>(module);
        Assert.Equal(4, ((DenseNet)module).NumClasses);
    }

    [Fact]
    public void AutoLayerIsFeaturesWith1024ChannelsAndCamIsClassifierWeightsTimesFeatures()
    {
        torch.manual_seed(3);
        var network = DenseNet.DenseNet121(numClasses: 6);
        RandomiseBatchNormStatistics(network);
        using var model = new ModuleCamModel("densenet121", network, PreprocessingSpec.ImageNet(64), CPU);

        Assert.Equal("features", model.AutoLayer);
        LayerInfo features = model.Layers.Single(l => l.Name == "features");
        Assert.Equal(new long[] { 1, 1024, 2, 2 }, features.Shape);
        LinearHead? head = model.HeadAfter("features");
        Assert.NotNull(head);

        AssertNoTensorLeak(() =>
        {
            using var scope = NewDisposeScope();
            Tensor batch = torch.randn(2, 3, 64, 64);
            var request = new ExplainRequest(["cam"], new ClassSelection.Indices([4]), "auto");
            IReadOnlyList<PhotoExplanation> explained = CamExplainer.Explain(model, batch, request);

            // Independent: capture "features" with our own hook and form Σ_k w[4,k]·A_k by hand.
            Tensor? activation = null;
            var hook = ((nn.Module<Tensor, Tensor>)network.named_modules().Single(m => m.name == "features").module)
                .register_forward_hook((_, _, output) =>
                {
                    activation = output.alias().DetachFromDisposeScope();
                    return output;
                });
            using (no_grad())
                network.call(batch);
            hook.remove();
            using Tensor a = activation!;
            float[] values = a.data<float>().ToArray();
            float[] w = network.Classifier.weight!.data<float>().ToArray();
            for (int n = 0; n < 2; n++)
            {
                ClassMap map = Assert.Single(explained[n].Maps);
                Assert.Equal(("cam", 4, "features"), (map.Method, map.ClassIndex, map.Layer));
                Assert.Equal((2, 2), (map.Map.Width, map.Map.Height));
                for (int p = 0; p < 4; p++)
                {
                    double expected = 0;
                    for (int k = 0; k < 1024; k++)
                        expected += w[4 * 1024 + k] * values[(n * 1024 + k) * 4 + p];
                    Assert.Equal(expected, map.Map.Raw[p], 1e-3);
                }
            }
        });
    }

    [Fact]
    public void WeightsWithAMissingKeyFailToLoadWithAnErrorNamingTheKey()
    {
        string path = Path.Combine(_tempDir, "missing-key.pt");
        using (var source = DenseNet.DenseNet121(numClasses: 3))
        {
            var partial = new Dictionary<string, Tensor>(source.state_dict());
            Assert.True(partial.Remove("features.transition2.conv.weight"));
            PyTorchPickler.PickleStateDict(path, partial);
        }
        var error = Assert.ThrowsAny<Exception>(() => TorchVisionModels.Load("densenet121", path, device: CPU));
        Assert.Contains("features.transition2.conv.weight", error.Message);
        Assert.Contains("missing-key.pt", error.Message);
    }

    private static void RandomiseBatchNormStatistics(nn.Module model)
    {
        // Fresh batch norms are identities in eval mode; random statistics make the comparison meaningful.
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            if (module is TorchSharp.Modules.BatchNorm2d norm)
            {
                norm.running_mean!.copy_(torch.randn(norm.running_mean.shape) * 0.1);
                norm.running_var!.copy_(torch.rand(norm.running_var.shape) + 0.5);
                norm.bias!.copy_(torch.randn(norm.bias.shape) * 0.1);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> and asserts it left no live tensor behind on this thread.
    /// </summary>
    private static void AssertNoTensorLeak(Action body)
    {
        long before = LiveTensors.OnThisThread();
        body();
        Assert.Equal(before, LiveTensors.OnThisThread());
    }
}
