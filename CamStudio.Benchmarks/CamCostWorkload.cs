using CamStudio.Engine.Cam;
using CamStudio.Engine.Cam.Features;
using CamStudio.Engine.Imaging;
using CamStudio.Engine.Models;
using CamStudio.Engine.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Benchmarks;

/// <summary>
/// The operations whose cost is compared: a plain forward pass, a forward pass with a full backward, and
/// explanations through <see cref="CamExplainer"/>. Random weights: the cost does not depend on the values.
/// </summary>
public sealed class CamCostWorkload : IDisposable
{
    public const string PlainForwardName = "plain forward (no grad)";

    /// <summary>Every method that rides on the one forward pass, together (all but Score-CAM, Ablation-CAM and Smooth Grad-CAM++).</summary>
    public const string AllOnePassName = "all one-pass methods, 1 class";

    private static readonly string[] GradientMethods = ["gradcam", "gradcam++", "xgradcam", "hirescam", "layercam"];

    /// <summary>The methods that ride on one forward pass (Score-CAM and Ablation-CAM run one per channel).</summary>
    private static readonly string[] OneForwardMethods = CamMethods.All.Where(m => !m.NeedsExtraForwards).Select(m => m.Id).ToArray();

    private readonly ModuleCamModel _model;
    private readonly nn.Module<Tensor, Tensor> _trainable;
    private readonly Tensor _input;

    /// <summary>Set to a number of torch threads (e.g. 1) to measure with that many instead of libtorch's default.</summary>
    public const string ThreadsVariable = "CAMSTUDIO_BENCH_THREADS";

    public CamCostWorkload(string architecture, int batch, int inputSize = 224)
    {
        // On a shared, oversubscribed machine OpenMP's spinning barriers make multi-threaded timings erratic;
        // one thread keeps the ratios meaningful (an operation's share of the work does not depend on threads).
        if (int.TryParse(Environment.GetEnvironmentVariable(ThreadsVariable), out int threads) && threads > 0)
            torch.set_num_threads(threads);
        Architecture = architecture;
        Batch = batch;
        Device device = TorchRuntime.DefaultDevice;
        _model = TorchVisionModels.CreateCamModel(architecture, preprocessing: PreprocessingSpec.ImageNet(inputSize), device: device);
        _trainable = TorchVisionModels.Create(architecture, device: device);
        foreach (var parameter in _trainable.parameters())
            parameter.requires_grad = true;
        torch.manual_seed(1);
        _input = torch.randn([batch, 3, inputSize, inputSize], device: device);

        Operations =
        [
            (PlainForwardName, PlainForward),
            ("forward + full backward", ForwardFullBackward),
            .. OneForwardMethods.Select(id => (id, (Func<int>)(() => Explain([id], ClassSelection.Top1)))),
            ("5 gradient methods + eigencam, 1 class", () => Explain([.. GradientMethods, "eigencam"], ClassSelection.Top1)),
            (AllOnePassName, () => Explain(OneForwardMethods, ClassSelection.Top1)),
            ("smoothgradcam++ (4 noisy copies)", () => Explain(["smoothgradcam++"], ClassSelection.Top1)),
            ("gradcam, top-3 classes", () => Explain(["gradcam"], new ClassSelection.TopK(3))),
            ("5 gradient methods + eigencam, top-3 classes", () => Explain([.. GradientMethods, "eigencam"], new ClassSelection.TopK(3))),
            // The request features (issue 12), each on Grad-CAM: what they add to one explanation.
            ("gradcam + aug_smooth (6 copies, one batch)", () => ExplainWith("gradcam", f => f with { AugSmooth = true })),
            ("gradcam + eigen_smooth", () => ExplainWith("gradcam", f => f with { EigenSmooth = true })),
            .. FusedLayers() is { } layers ? [($"gradcam fused {string.Join("+", layers)} (mean)", (Func<int>)(() => ExplainWith("gradcam", f => f with { Layers = layers })))] : Array.Empty<(string, Func<int>)>(),
            ("gradcam + guided backprop", () => ExplainWith("gradcam", f => f with { Guided = true })),
            ("dff K=5", Concepts),
        ];
    }

    public string Architecture { get; }

    public int Batch { get; }

    /// <summary>Every operation by display name; the first is the plain forward every ratio refers to.</summary>
    public IReadOnlyList<(string Name, Func<int> Run)> Operations { get; }

    public Func<int> this[string name] => Operations.Single(o => o.Name == name).Run;

    public int PlainForward()
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return (int)_model.Module.call(_input).argmax().item<long>();
    }

    public int ForwardFullBackward()
    {
        using var scope = torch.NewDisposeScope();
        Tensor logits = _trainable.call(_input);
        logits[.., 0].sum().backward();
        _trainable.zero_grad();
        return (int)logits.detach().argmax().item<long>();
    }

    /// <summary>Grad-CAM with the request features <paramref name="features"/> makes of the plain ones (as the engine's plan resolves them).</summary>
    public int ExplainWith(string method, Func<ExplainFeatures, ExplainFeatures> features)
    {
        using var scope = torch.NewDisposeScope();
        ExplainFeatures f = features(ExplainFeatures.Plain(_model.AutoLayer));
        ICamMethod m = CamMethods.Get(method);
        if (f.EigenSmooth)
            m = new EigenSmoothed((IChannelTermsMethod)m);
        return FeatureExplainer.Explain(_model, _input, [m], f, ClassSelection.Top1, null, CancellationToken.None, out _).Sum(e => e.Maps.Count);
    }

    /// <summary>Deep Feature Factorization at the auto layer: a forward without gradients and the NMF.</summary>
    public int Concepts()
    {
        using var scope = torch.NewDisposeScope();
        using ModelRun run = _model.Run(_input, _model.AutoLayer, trackGradients: false);
        return DeepFeatureFactorization.Explain(run.Activation, 5, _model.HeadAfter(_model.AutoLayer), _model.Labels, 2).Length;
    }

    /// <summary>resnet's layer3 and the auto layer (layer4), as the anchors' fusion is measured; null for other architectures.</summary>
    private string[]? FusedLayers() => _model.Layers.Any(l => l.Name == "layer3") ? ["layer3", _model.AutoLayer] : null;

    public int Explain(string[] methods, ClassSelection classes) =>
        CamExplainer.Explain(_model, _input, new ExplainRequest(methods, classes)).Sum(e => e.Maps.Count);

    public void Dispose()
    {
        _input.Dispose();
        _trainable.Dispose();
        _model.Dispose();
    }
}
