using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models.TorchVision;
using CamStudio.Engine.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>A classifier architecture that can be built by name.</summary>
/// <param name="Name">e.g. "resnet50".</param>
/// <param name="InputSize">Square input side the architecture is trained at (224; 299 for inception_v3).</param>
/// <param name="Create">Builds the network with its classifier for the given number of classes (random weights).</param>
/// <param name="CreateFolded">Builds it with an identity at every BatchNorm2d, for the batch-norm-folded copy
/// (<see cref="BatchNormFolding"/>); null when the architecture cannot be built that way.</param>
public sealed record Architecture(string Name, int InputSize, Func<int, nn.Module<Tensor, Tensor>> Create, Func<int, nn.Module<Tensor, Tensor>>? CreateFolded = null);

/// <summary>
/// TorchVision CNN classifiers by architecture name (plus the DenseNets of <see cref="DenseNet"/>), with weights
/// from PyTorch state dicts, safetensors or TorchSharp files. More architectures join through <see cref="Register"/>.
/// </summary>
/// <remarks>
/// Ported architectures keep torchvision's parameter names, so a PyTorch <c>torch.save(model.state_dict())</c>
/// loads strictly, classifier included. Models are built with <c>skipfc: false</c> and put in eval mode.
/// </remarks>
public static class TorchVisionModels
{
    public const int DefaultClassCount = 1000;

    private static readonly object Gate = new();
    private static readonly Dictionary<string, Architecture> Table = new(StringComparer.OrdinalIgnoreCase);

    static TorchVisionModels()
    {
        Add("alexnet", n => torchvision.models.alexnet(num_classes: n, skipfc: false));
        Add("googlenet", n => torchvision.models.googlenet(num_classes: n, skipfc: false));
        Add("inception_v3", n => torchvision.models.inception_v3(num_classes: n, skipfc: false), inputSize: 299);
        Add("mobilenet_v2", n => torchvision.models.mobilenet_v2(num_classes: n));
        Add("mobilenet_v3_large", n => OnlyImageNet("mobilenet_v3_large", n, torchvision.models.mobilenet_v3_large));
        Add("mobilenet_v3_small", n => OnlyImageNet("mobilenet_v3_small", n, torchvision.models.mobilenet_v3_small));
        Add("resnet18", n => torchvision.models.resnet18(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnet18(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnet34", n => torchvision.models.resnet34(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnet34(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnet50", n => torchvision.models.resnet50(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnet50(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnet101", n => torchvision.models.resnet101(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnet101(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnet152", n => torchvision.models.resnet152(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnet152(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnext50_32x4d", n => torchvision.models.resnext50_32x4d(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnext50_32x4d(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnext101_32x8d", n => torchvision.models.resnext101_32x8d(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnext101_32x8d(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("resnext101_64x4d", n => torchvision.models.resnext101_64x4d(num_classes: n, skipfc: false),
            folded: n => torchvision.models.resnext101_64x4d(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("wide_resnet50_2", n => torchvision.models.wide_resnet50_2(num_classes: n, skipfc: false),
            folded: n => torchvision.models.wide_resnet50_2(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("wide_resnet101_2", n => torchvision.models.wide_resnet101_2(num_classes: n, skipfc: false),
            folded: n => torchvision.models.wide_resnet101_2(num_classes: n, skipfc: false, norm_layer: BatchNormFolding.Folded));
        Add("vgg11", n => torchvision.models.vgg11(num_classes: n, skipfc: false));
        Add("vgg11_bn", n => torchvision.models.vgg11_bn(num_classes: n, skipfc: false));
        Add("vgg13", n => torchvision.models.vgg13(num_classes: n, skipfc: false));
        Add("vgg13_bn", n => torchvision.models.vgg13_bn(num_classes: n, skipfc: false));
        Add("vgg16", n => torchvision.models.vgg16(num_classes: n, skipfc: false));
        Add("vgg16_bn", n => torchvision.models.vgg16_bn(num_classes: n, skipfc: false));
        Add("vgg19", n => torchvision.models.vgg19(num_classes: n, skipfc: false));
        Add("vgg19_bn", n => torchvision.models.vgg19_bn(num_classes: n, skipfc: false));
        // Not in TorchVision 0.107: ported in DenseNet.cs with torchvision's parameter names.
        foreach ((string name, Func<int, DenseNet> create) in DenseNet.Architectures)
            Add(name, n => create(n));
    }

    /// <summary>Every known architecture name, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate)
                return Table.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    public static bool IsKnown(string name)
    {
        lock (Gate)
            return Table.ContainsKey(name);
    }

    /// <summary>
    /// Adds (or replaces) an architecture. <paramref name="factory"/> gets the class count and must return the
    /// whole classifier (images in, logits out) with torchvision's parameter names, so state dicts load strictly.
    /// </summary>
    public static void Register(string name, Func<int, nn.Module<Tensor, Tensor>> factory, int inputSize = 224)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        lock (Gate)
            Table[name] = new Architecture(name, inputSize, factory);
    }

    /// <summary>The architecture with this name (case-insensitive); an error listing the valid names otherwise.</summary>
    public static Architecture Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (Gate)
        {
            if (Table.TryGetValue(name.Trim(), out Architecture? architecture))
                return architecture;
        }
        throw new ArgumentException($"Unknown architecture '{name}'. Known architectures: {string.Join(", ", Names)}.");
    }

    /// <summary>Builds the architecture with random weights, in eval mode, on <paramref name="device"/> (default: <see cref="TorchRuntime.DefaultDevice"/>).</summary>
    public static nn.Module<Tensor, Tensor> Create(string architecture, int classCount = DefaultClassCount, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        Architecture entry = Get(architecture);
        nn.Module<Tensor, Tensor> module = entry.Create(classCount);
        module.eval();
        module.to(device ?? TorchRuntime.DefaultDevice);
        return module;
    }

    /// <summary>
    /// Builds the architecture and loads <paramref name="weightsPath"/> strictly (classifier included). The class
    /// count is <paramref name="classCount"/> when given, else read from the classifier's weight in the file.
    /// </summary>
    public static nn.Module<Tensor, Tensor> Load(string architecture, string weightsPath, int? classCount = null, Device? device = null)
    {
        Architecture entry = Get(architecture);
        Dictionary<string, Tensor> stateDict = StateDictFile.Read(weightsPath);
        try
        {
            nn.Module<Tensor, Tensor> module = entry.Create(classCount ?? DefaultClassCount);
            try
            {
                if (classCount is null
                    && ClassifierWeightName(module) is { } classifier
                    && StateDictFile.FirstDimension(stateDict, classifier) is { } inFile
                    && inFile != DefaultClassCount && inFile > 0 && inFile <= int.MaxValue)
                {
                    module.Dispose();
                    module = entry.Create((int)inFile);
                }
                int classes = ClassifierWeightName(module) is { } name && module.state_dict().TryGetValue(name, out Tensor? w)
                    ? (int)w.shape[0]
                    : classCount ?? DefaultClassCount;
                StateDictFile.LoadInto(module, stateDict, weightsPath, $"{entry.Name} with {classes} classes");
                module.eval();
                module.to(device ?? TorchRuntime.DefaultDevice);
                return module;
            }
            catch
            {
                module.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (Tensor tensor in stateDict.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// A ready <see cref="ModuleCamModel"/>: the architecture with weights from <paramref name="weightsPath"/> (random
    /// weights when null), ImageNet preprocessing at the architecture's input size unless given, on the default device.
    /// Where the architecture allows it, its forwards run on a batch-norm-folded copy (<paramref name="foldBatchNorms"/>:
    /// false only to measure or check what that changes).
    /// </summary>
    public static ModuleCamModel CreateCamModel(
        string architecture,
        string? weightsPath = null,
        IReadOnlyList<string>? labels = null,
        PreprocessingSpec? preprocessing = null,
        Device? device = null,
        string? name = null,
        bool foldBatchNorms = true)
    {
        Architecture entry = Get(architecture);
        Device target = device ?? TorchRuntime.DefaultDevice;
        int? classCount = labels is { Count: > 0 } ? labels.Count : null;
        nn.Module<Tensor, Tensor> module = weightsPath is null
            ? Create(entry.Name, classCount ?? DefaultClassCount, target)
            : Load(entry.Name, weightsPath, classCount, target);
        try
        {
            int classes = ClassifierWeightName(module) is { } classifier && module.state_dict().TryGetValue(classifier, out Tensor? w)
                ? (int)w.shape[0]
                : classCount ?? DefaultClassCount;
            return new ModuleCamModel(name ?? entry.Name, module, preprocessing ?? PreprocessingSpec.ImageNet(entry.InputSize), target, labels,
                createReplica: () => entry.Create(classes),
                createFolded: foldBatchNorms && entry.CreateFolded is { } folded ? () => folded(classes) : null);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>"fc.weight", "classifier.1.weight", ...: the weight of the last Linear module, which holds the class count.</summary>
    private static string? ClassifierWeightName(nn.Module module) =>
        module.named_modules().LastOrDefault(m => m.module is Linear).name is { Length: > 0 } name ? name + ".weight" : null;

    private static void Add(string name, Func<int, nn.Module<Tensor, Tensor>> factory, int inputSize = 224, Func<int, nn.Module<Tensor, Tensor>>? folded = null) =>
        Table[name] = new Architecture(name, inputSize, factory, folded);

    private static nn.Module<Tensor, Tensor> OnlyImageNet(string name, int classCount, Func<nn.Module<Tensor, Tensor>> factory) =>
        classCount == DefaultClassCount
            ? factory()
            : throw new ArgumentException($"{name} is only available with {DefaultClassCount} classes in TorchVision 0.107, not {classCount}.");
}
