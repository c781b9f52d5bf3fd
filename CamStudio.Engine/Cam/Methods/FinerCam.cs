using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Finer-CAM: Grad-CAM of y_c − γ · mean_j y_j over the R classes whose logits are closest to y_c, so the map shows
/// what tells the class apart from the ones it is most easily confused with. γ (strength) = 0.6 and R = 3 by
/// default, as TorchCAM's <c>FinerCAM</c> (pytorch-grad-cam's weighs the references by their softmax with γ = 1 instead).
/// Costs one partial backward of its own per class.
/// </summary>
public sealed class FinerCam : ICamMethod, IOwnClassScore
{
    private static readonly MethodOption Strength = new("strength", "how much of the similar classes' mean logit is subtracted (γ)", 0.6, 0, 10);
    private static readonly MethodOption References = new("references", "how many of the most similar classes to contrast with", 3, 1, 100, IsInteger: true);

    private readonly double _strength;
    private readonly int _references;

    public FinerCam() : this(Strength.Default, (int)References.Default)
    {
    }

    private FinerCam(double strength, int references)
    {
        _strength = strength;
        _references = references;
    }

    public string Id => "finercam";
    public string DisplayName => "Finer-CAM";
    public string Paper => "Zhang et al. 2025, Finer-CAM: Spotting the Difference Reveals Finer Details for Visual Explanation (CVPR)";
    public MethodRequirements Requirements => MethodRequirements.Gradients;
    public bool IsClassSpecific => true;
    public IReadOnlyList<MethodOption> Options => [Strength, References];

    public ICamMethod WithOptions(MethodOptionValues values) => new FinerCam(values[Strength.Name], values.Int(References.Name));

    /// <summary>y_c − γ · mean of the R logits closest to y_c (the class itself excluded; R capped at classes − 1).</summary>
    public Tensor Score(Tensor logits, Tensor classIndices)
    {
        using var scope = torch.NewDisposeScope();
        Tensor target = logits.gather(1, classIndices.unsqueeze(1));
        int references = (int)Math.Min(_references, logits.shape[1] - 1);
        if (references < 1)
            return target.squeeze(1).MoveToOuterDisposeScope();
        Tensor isTarget = torch.arange(logits.shape[1], device: logits.device).unsqueeze(0) == classIndices.unsqueeze(1);
        Tensor distance = (logits.detach() - target.detach()).abs().masked_fill(isTarget, double.PositiveInfinity);
        Tensor closest = distance.topk(references, dim: 1, largest: false).indexes;
        Tensor contrast = target - _strength * logits.gather(1, closest).mean([1], keepdim: true);
        return contrast.squeeze(1).MoveToOuterDisposeScope();
    }

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        Tensor weights = inputs.RequireGradients(DisplayName).mean([2, 3]);
        return ChannelWeighting.WeightedSum(weights, inputs.Activations).relu().MoveToOuterDisposeScope();
    }
}
