using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// SS-CAM: Score-CAM with smoothed scores, ReLU(Σ_k w_k · A_k), w = softmax_k((1/N) Σ_i y_c(X ⊙ (M_k + ε_ik))),
/// ε_ik ~ N(0, σ²) per pixel; N passes per channel.
/// </summary>
/// <remarks>
/// Follows TorchCAM (pytorch-grad-cam has no SS-CAM): masks scaled to [0, 1] at the layer's resolution, then
/// upsampled with align_corners = false; the noise is added to the upsampled mask and not clipped; TorchCAM's
/// defaults, 35 samples and σ = 2. TorchCAM subtracts the unmasked score, which softmax ignores. The noise of copy
/// (k, i) comes from its own seed, so the map does not depend on how the passes are chunked.
/// </remarks>
public sealed class SsCam : ICamMethod
{
    internal const long Seed = 20200806;
    private static readonly MethodOption SamplesOption = new("samples", "noisy copies per channel", 35, 1, 1000, IsInteger: true);
    private static readonly MethodOption SigmaOption = new("sigma", "standard deviation of the mask noise (masks span 0–1)", 2.0, 0, 100);

    public SsCam(int samples = 35, double sigma = 2.0)
    {
        Samples = samples;
        Sigma = sigma;
    }

    public int Samples { get; }
    public double Sigma { get; }

    public string Id => "sscam";
    public string DisplayName => "SS-CAM";
    public string Paper => "Wang et al. 2020, SS-CAM: Smoothed Score-CAM for Sharper Visual Feature Localization (arXiv:2006.14255)";
    public MethodRequirements Requirements => MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;
    public IReadOnlyList<MethodOption> Options => [SamplesOption, SigmaOption];

    public ICamMethod WithOptions(MethodOptionValues values) => new SsCam(values.Int(SamplesOption.Name), values[SigmaOption.Name]);

    public long ExtraForwardsPerPhoto(long channels) => Samples * channels;

    public Tensor Compute(CamInputs inputs) => ScoreWeighting.Map(inputs, DisplayName, $"{Id}/{Samples}/{Sigma}", NoisyLogits);

    private Tensor NoisyLogits(ExtraForwards forwards, Tensor activation, Tensor photo)
    {
        long height = photo.shape[1], width = photo.shape[2];
        int samples = Samples;
        double sigma = Sigma;
        using var generator = new torch.Generator(0, torch.CPU);
        return MaskedForwards.ChannelLogits(forwards, activation, photo, samples, zeroMaskWhenConstant: false, (channels, repeats) =>
        {
            Tensor masks = MaskedForwards.ScaledThenUpsampled(activation.index_select(0, channels), height, width);
            long[] channel = channels.cpu().data<long>().ToArray();
            long[] sample = repeats.cpu().data<long>().ToArray();
            var noise = new Tensor[channel.Length];
            for (int j = 0; j < channel.Length; j++)
            {
                generator.manual_seed(Seed + channel[j] * samples + sample[j]);
                noise[j] = torch.randn([height, width], generator: generator);
            }
            Tensor noisy = masks + torch.stack(noise).to(masks.device) * sigma;
            return photo.unsqueeze(0) * noisy.unsqueeze(1);
        });
    }
}
