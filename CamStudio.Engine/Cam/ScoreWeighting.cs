using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// The last step Score-CAM, SS-CAM and IS-CAM share: ReLU(Σ_k w_k · A_k) with w = softmax over channels of the
/// class's logit for each channel's masked copies. The methods differ only in how they mask (their logits function).
/// </summary>
internal static class ScoreWeighting
{
    /// <summary>Builds the masked logits of one photo: C × classes, from that photo's activation (C×h×w) and input (3×H×W).</summary>
    public delegate Tensor MaskedLogits(ExtraForwards forwards, Tensor activation, Tensor photo);

    /// <summary>
    /// The score-weighted map of every photo in <paramref name="inputs"/>. Each photo's masked logits are cached under
    /// <paramref name="cacheKey"/> (which must name everything the logits depend on, e.g. the method's options), so
    /// every class of a photo reuses one set of masked forwards.
    /// </summary>
    public static Tensor Map(CamInputs inputs, string methodName, string cacheKey, MaskedLogits maskedLogits)
    {
        using var scope = torch.NewDisposeScope();
        ExtraForwards forwards = inputs.RequireForwards(methodName);
        Tensor a = inputs.Activations;
        long photos = a.shape[0], channels = a.shape[1];
        var weights = new Tensor[photos];
        for (long i = 0; i < photos; i++)
        {
            long photo = i;
            Tensor logits = forwards.Cached($"{cacheKey}/{photo}", () => maskedLogits(forwards, a[photo], forwards.Input[photo]));
            weights[i] = logits.index_select(1, inputs.ClassIndices[photo].reshape(1)).reshape(channels).softmax(0);
        }
        return ChannelWeighting.WeightedSum(torch.stack(weights), a).relu().MoveToOuterDisposeScope();
    }
}
