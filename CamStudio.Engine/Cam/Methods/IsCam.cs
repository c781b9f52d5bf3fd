using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// IS-CAM: Score-CAM with integrated scores, ReLU(Σ_k w_k · A_k), w = softmax_k((1/N) Σ_i y_c(s_i · X ⊙ M_k));
/// N passes per channel.
/// </summary>
/// <remarks>
/// Follows TorchCAM (pytorch-grad-cam has no IS-CAM), including its scale schedule s_i = Σ_{j≤i} j/N (0.1, 0.3,
/// 0.6, … 5.5 for N = 10) and its default of 10 steps; masks scaled at the layer's resolution, then upsampled
/// with align_corners = false. TorchCAM subtracts the unmasked score, which softmax ignores. Channels constant over
/// the map have the zero mask at every step, so they share one pass.
/// </remarks>
public sealed class IsCam : ICamMethod
{
    private static readonly MethodOption StepsOption = new("steps", "integration steps per channel", 10, 1, 1000, IsInteger: true);

    public IsCam(int steps = 10) => Steps = steps;

    public int Steps { get; }

    public string Id => "iscam";
    public string DisplayName => "IS-CAM";
    public string Paper => "Naidu et al. 2020, IS-CAM: Integrated Score-CAM for axiomatic-based explanations (arXiv:2010.03023)";
    public MethodRequirements Requirements => MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;
    public IReadOnlyList<MethodOption> Options => [StepsOption];

    public ICamMethod WithOptions(MethodOptionValues values) => new IsCam(values.Int(StepsOption.Name));

    public long ExtraForwardsPerPhoto(long channels) => Steps * channels;

    public Tensor Compute(CamInputs inputs) => ScoreWeighting.Map(inputs, DisplayName, $"{Id}/{Steps}", IntegratedLogits);

    private Tensor IntegratedLogits(ExtraForwards forwards, Tensor activation, Tensor photo)
    {
        long height = photo.shape[1], width = photo.shape[2];
        var scales = new float[Steps];
        double sum = 0;
        for (int i = 0; i < Steps; i++)
            scales[i] = (float)(sum += (i + 1) / (double)Steps);
        using Tensor scale = torch.tensor(scales, device: activation.device);
        return MaskedForwards.ChannelLogits(forwards, activation, photo, Steps, zeroMaskWhenConstant: true, (channels, steps) =>
        {
            Tensor masks = MaskedForwards.ScaledThenUpsampled(activation.index_select(0, channels), height, width);
            return photo.unsqueeze(0) * (masks * scale.index_select(0, steps).reshape(-1, 1, 1)).unsqueeze(1);
        });
    }
}
