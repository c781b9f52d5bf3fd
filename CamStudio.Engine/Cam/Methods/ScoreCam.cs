using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Score-CAM: ReLU(Σ_k w_k · A_k) with w = softmax_k(y_c(X ⊙ M_k)), M_k the channel's map upsampled to the input
/// and min-max scaled to [0, 1]; one forward pass per distinct mask (in chunks), shared by all classes of a photo.
/// </summary>
/// <remarks>
/// Follows pytorch-grad-cam (the reference for Score-CAM): upsample first, with align_corners = true (its
/// <c>UpsamplingBilinear2d</c>), then scale; the class logit of the masked input, softmax over channels. TorchCAM
/// scales first and subtracts the unmasked score, which softmax ignores. Channels that are constant over the map
/// (dead ReLU channels) all have the zero mask, so they share one pass.
/// </remarks>
public sealed class ScoreCam : ICamMethod
{
    public string Id => "scorecam";
    public string DisplayName => "Score-CAM";
    public string Paper => "Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks (CVPR Workshops)";
    public MethodRequirements Requirements => MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;

    /// <summary>One pass per channel (fewer run: duplicates are counted, not run).</summary>
    public long ExtraForwardsPerPhoto(long channels) => channels;

    public Tensor Compute(CamInputs inputs) => ScoreWeighting.Map(inputs, DisplayName, Id, MaskedLogits);

    /// <summary>C × classes logits of <paramref name="photo"/> masked by each channel of <paramref name="activation"/>.</summary>
    internal static Tensor MaskedLogits(ExtraForwards forwards, Tensor activation, Tensor photo)
    {
        long height = photo.shape[1], width = photo.shape[2];
        return MaskedForwards.ChannelLogits(forwards, activation, photo, repeats: 1, zeroMaskWhenConstant: true, (channels, _) =>
            photo.unsqueeze(0) * MaskedForwards.UpsampledThenScaled(activation.index_select(0, channels), height, width, alignCorners: true).unsqueeze(1));
    }
}
