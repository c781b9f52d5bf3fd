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

    [Theory]
    [InlineData("features.conv0.weight", new long[] { 64, 3, 7, 7 })]
    [InlineData("features.norm0.running_mean", new long[] { 64 })]
    [InlineData("features.norm0.num_batches_tracked", new long[] { })]
    [InlineData("features.denseblock1.denselayer1.norm1.weight", new long[] { 64 })]
    [InlineData("features.denseblock1.denselayer1.conv1.weight", new long[] { 128, 64, 1, 1 })]
    [InlineData("features.denseblock1.denselayer1.norm2.running_var", new long[] { 128 })]
    [InlineData("features.denseblock1.denselayer6.conv1.weight", new long[] { 128, 224, 1, 1 })]
    [InlineData("features.transition1.norm.weight", new long[] { 256 })]
    [InlineData("features.transition1.conv.weight", new long[] { 128, 256, 1, 1 })]
    [InlineData("features.transition3.conv.weight", new long[] { 512, 1024, 1, 1 })]
    [InlineData("features.denseblock4.denselayer16.conv2.weight", new long[] { 32, 128, 3, 3 })]
    [InlineData("features.norm5.bias", new long[] { 1024 })]
    [InlineData("classifier.weight", new long[] { 1000, 1024 })]
    [InlineData("classifier.bias", new long[] { 1000 })]
    public void DenseNet121StateDictHasTorchvisionsNamesAndShapes(string name, long[] shape)
    {
        using (var model = DenseNet.DenseNet121())
        {
            var stateDict = model.state_dict();
            Assert.True(stateDict.ContainsKey(name), $"state dict has no '{name}'");
            Assert.Equal(shape, stateDict[name].shape);
        }
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
                    Assert.Equal(sum, actual[n * 5 + k], 3);
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

        AssertNoTensorLeak(() =>
        {
            using var scope = NewDisposeScope();
            Tensor input = torch.randn(1, 3, 64, 64);
            using (no_grad())
            {
                Tensor expected = source.call(input);
                Tensor actual = loaded.call(input);
                Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-5));
                // Different seeds: without loading, the two models would disagree.
                Assert.False(expected.abs().max().item<float>() == 0f);
            }
        });
    }

    [Fact]
    public void StateDictWithMissingKeyIsRejectedByStrictLoad()
    {
        string path = Path.Combine(_tempDir, "missing.pt");
        using var source = DenseNet.DenseNet121(numClasses: 3);
        var partial = new Dictionary<string, Tensor>(source.state_dict());
        Assert.True(partial.Remove("features.denseblock2.denselayer3.conv1.weight"));
        PyTorchPickler.PickleStateDict(path, partial);

        using var target = DenseNet.DenseNet121(numClasses: 3);
        Assert.ThrowsAny<Exception>(() => target.load_py(path, strict: true));
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
    /// Runs <paramref name="body"/> and asserts it left no live tensor behind. Measured around tensor work only:
    /// TorchSharp never uncounts a module's parameters, even when the module is disposed.
    /// </summary>
    private static void AssertNoTensorLeak(Action body)
    {
        long before = Tensor.TotalCount;
        body();
        Assert.Equal(before, Tensor.TotalCount);
    }
}
