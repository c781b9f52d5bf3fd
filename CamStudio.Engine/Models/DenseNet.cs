using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace CamStudio.Engine.Models;

/// <summary>
/// DenseNet-121/161/169/201 (Huang et al., "Densely Connected Convolutional Networks", CVPR 2017),
/// ported from torchvision's <c>torchvision/models/densenet.py</c> with exactly its parameter and buffer names,
/// so a PyTorch <c>torch.save(model.state_dict())</c> loads strictly through TorchSharp.PyBridge.
/// </summary>
/// <remarks>
/// One deliberate difference: torchvision applies <c>F.relu</c> after <c>features</c> inside <c>forward</c>.
/// Here that ReLU is the last child of <c>features</c> (<c>features.relu5</c>, no parameters, so the state dict is
/// unchanged), which makes the output of the <c>features</c> module the post-ReLU map that global average
/// pooling and <c>classifier</c> see — the map CAM and Grad-CAM need. Memory-efficient checkpointing and
/// dropout (torchvision's defaults are off) are not ported: these models are only used for inference.
/// No ReLU works in place, so a captured activation (any module's output) is never overwritten by the next layer.
/// </remarks>
public sealed class DenseNet : Module<Tensor, Tensor>
{
    /// <summary>Name of the module whose output is the final post-ReLU feature map.</summary>
    public const string FeaturesLayer = "features";

    /// <summary>Name of the final linear classifier.</summary>
    public const string ClassifierLayer = "classifier";

    private readonly Sequential _features;
    private readonly Linear _classifier;

    /// <summary>Builds a DenseNet with freshly initialised weights (torchvision's initialisation).</summary>
    /// <param name="name">Module name, e.g. "densenet121".</param>
    /// <param name="growthRate">Channels each dense layer adds (k in the paper).</param>
    /// <param name="blockConfig">Number of dense layers in each of the four blocks.</param>
    /// <param name="numInitFeatures">Channels of the stem convolution.</param>
    /// <param name="bnSize">Bottleneck width multiplier (bottleneck has bnSize·growthRate channels).</param>
    /// <param name="numClasses">Classifier outputs.</param>
    public DenseNet(string name, int growthRate, IReadOnlyList<int> blockConfig, int numInitFeatures, int bnSize = 4, int numClasses = 1000)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (blockConfig.Count == 0)
            throw new ArgumentException("A DenseNet needs at least one dense block.", nameof(blockConfig));

        _features = Sequential(
            ("conv0", Conv2d(3, numInitFeatures, kernel_size: 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(numInitFeatures)),
            ("relu0", ReLU()),
            ("pool0", MaxPool2d(kernel_size: 3, stride: 2, padding: 1)));

        int numFeatures = numInitFeatures;
        for (int i = 0; i < blockConfig.Count; i++)
        {
            _features.append($"denseblock{i + 1}", new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate));
            numFeatures += blockConfig[i] * growthRate;
            if (i != blockConfig.Count - 1)
            {
                _features.append($"transition{i + 1}", Transition(numFeatures, numFeatures / 2));
                numFeatures /= 2;
            }
        }
        _features.append("norm5", BatchNorm2d(numFeatures));
        // torchvision's forward applies F.relu here; as a module it becomes part of "features" (see remarks).
        _features.append("relu5", ReLU());

        _classifier = Linear(numFeatures, numClasses);
        NumFeatures = numFeatures;
        NumClasses = numClasses;

        register_module(FeaturesLayer, _features);
        register_module(ClassifierLayer, _classifier);
        InitialiseWeights();
    }

    /// <summary>Channels of the final feature map (1024 for DenseNet-121).</summary>
    public int NumFeatures { get; }

    public int NumClasses { get; }

    /// <summary>The final linear layer (classes × <see cref="NumFeatures"/>).</summary>
    public Linear Classifier => _classifier;

    /// <summary>DenseNet-121: growth 32, blocks (6, 12, 24, 16), 64 initial features.</summary>
    public static DenseNet DenseNet121(int numClasses = 1000) => new("densenet121", 32, [6, 12, 24, 16], 64, numClasses: numClasses);

    /// <summary>DenseNet-161: growth 48, blocks (6, 12, 36, 24), 96 initial features.</summary>
    public static DenseNet DenseNet161(int numClasses = 1000) => new("densenet161", 48, [6, 12, 36, 24], 96, numClasses: numClasses);

    /// <summary>DenseNet-169: growth 32, blocks (6, 12, 32, 32), 64 initial features.</summary>
    public static DenseNet DenseNet169(int numClasses = 1000) => new("densenet169", 32, [6, 12, 32, 32], 64, numClasses: numClasses);

    /// <summary>DenseNet-201: growth 32, blocks (6, 12, 48, 32), 64 initial features.</summary>
    public static DenseNet DenseNet201(int numClasses = 1000) => new("densenet201", 32, [6, 12, 48, 32], 64, numClasses: numClasses);

    /// <summary>The architectures this class builds, by torchvision name.</summary>
    public static IReadOnlyDictionary<string, Func<int, DenseNet>> Architectures { get; } =
        new Dictionary<string, Func<int, DenseNet>>(StringComparer.OrdinalIgnoreCase)
        {
            ["densenet121"] = DenseNet121,
            ["densenet161"] = DenseNet161,
            ["densenet169"] = DenseNet169,
            ["densenet201"] = DenseNet201,
        };

    /// <summary>
    /// Makes densenet121/161/169/201 buildable by name through <see cref="TorchVisionModels"/> (and so the models
    /// folder and the CLI) as soon as the engine assembly loads. Registration only stores factories: no torch call.
    /// </summary>
#pragma warning disable CA2255 // The engine is the app's own library: registering its own architectures on load is intended.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void RegisterArchitectures()
    {
        foreach (var (name, factory) in Architectures)
            TorchVisionModels.Register(name, classes => factory(classes));
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        // .call() (not forward) so that forward hooks on "features" fire.
        Tensor features = _features.call(input);
        Tensor pooled = functional.adaptive_avg_pool2d(features, 1).flatten(1);
        return _classifier.call(pooled).MoveToOuterDisposeScope();
    }

    private void InitialiseWeights()
    {
        // The init functions return new handles on the parameters; the scope releases those handles only.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight!);
                    break;
                case BatchNorm2d norm:
                    init.constant_(norm.weight!, 1);
                    init.constant_(norm.bias!, 0);
                    break;
                case Linear linear when linear.bias is not null:
                    init.constant_(linear.bias, 0);
                    break;
            }
        }
    }

    private static Sequential Transition(int inputFeatures, int outputFeatures) => Sequential(
        ("norm", BatchNorm2d(inputFeatures)),
        ("relu", ReLU()),
        ("conv", Conv2d(inputFeatures, outputFeatures, kernel_size: 1, stride: 1, bias: false)),
        ("pool", AvgPool2d(kernel_size: 2, stride: 2)));

    /// <summary>torchvision's <c>_DenseBlock</c>: each layer sees the concatenation of the block input and all earlier layers' outputs.</summary>
    private sealed class DenseBlock : Module<Tensor, Tensor>
    {
        private readonly DenseLayer[] _layers;

        public DenseBlock(int numLayers, int inputFeatures, int bnSize, int growthRate) : base(nameof(DenseBlock))
        {
            _layers = new DenseLayer[numLayers];
            for (int i = 0; i < numLayers; i++)
            {
                _layers[i] = new DenseLayer(inputFeatures + i * growthRate, growthRate, bnSize);
                register_module($"denselayer{i + 1}", _layers[i]);
            }
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var features = new List<Tensor>(_layers.Length + 1) { input };
            foreach (DenseLayer layer in _layers)
            {
                using Tensor concatenated = torch.cat(features, 1);
                features.Add(layer.call(concatenated));
            }
            return torch.cat(features, 1).MoveToOuterDisposeScope();
        }
    }

    /// <summary>torchvision's <c>_DenseLayer</c>: BN-ReLU-Conv1×1 bottleneck, then BN-ReLU-Conv3×3 producing growthRate channels.</summary>
    private sealed class DenseLayer : Module<Tensor, Tensor>
    {
        private readonly BatchNorm2d _norm1;
        private readonly ReLU _relu1;
        private readonly Conv2d _conv1;
        private readonly BatchNorm2d _norm2;
        private readonly ReLU _relu2;
        private readonly Conv2d _conv2;

        public DenseLayer(int inputFeatures, int growthRate, int bnSize) : base(nameof(DenseLayer))
        {
            int bottleneck = bnSize * growthRate;
            _norm1 = BatchNorm2d(inputFeatures);
            _relu1 = ReLU();
            _conv1 = Conv2d(inputFeatures, bottleneck, kernel_size: 1, stride: 1, bias: false);
            _norm2 = BatchNorm2d(bottleneck);
            _relu2 = ReLU();
            _conv2 = Conv2d(bottleneck, growthRate, kernel_size: 3, stride: 1, padding: 1, bias: false);
            register_module("norm1", _norm1);
            register_module("relu1", _relu1);
            register_module("conv1", _conv1);
            register_module("norm2", _norm2);
            register_module("relu2", _relu2);
            register_module("conv2", _conv2);
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            Tensor bottleneck = _conv1.call(_relu1.call(_norm1.call(input)));
            return _conv2.call(_relu2.call(_norm2.call(bottleneck))).MoveToOuterDisposeScope();
        }
    }
}
