using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Ablation-CAM: ReLU(Σ_k w_k · A_k) with w_k = (y_c − y_c^k) / y_c, y_c^k the class score with channel k of the
/// layer set to zero; one forward pass per channel (in chunks, from the layer on where the model can), shared by all
/// classes of a photo.
/// </summary>
/// <remarks>
/// Follows pytorch-grad-cam (TorchCAM has no Ablation-CAM): the same ratio, all channels ablated (its
/// ratio_channels_to_ablate = 1). A channel that is already zero everywhere ablates to the photo's own layer output,
/// so its score is y_c and its weight exactly 0: such channels are counted, not run. The passes stay in float32:
/// the weights are small differences of logits, which bfloat16 rounding would swamp.
/// </remarks>
public sealed class AblationCam : ICamMethod
{
    public string Id => "ablationcam";
    public string DisplayName => "Ablation-CAM";
    public string Paper => "Desai & Ramaswamy 2020, Ablation-CAM: Visual Explanations for Deep Convolutional Network via Gradient-free Localization (WACV)";
    public MethodRequirements Requirements => MethodRequirements.LayerOutputReplacement | MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;

    /// <summary>The photo as it is, then one pass per channel (fewer run: zero channels are counted, not run).</summary>
    public long ExtraForwardsPerPhoto(long channels) => channels + 1;

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        ExtraForwards forwards = inputs.RequireForwards(DisplayName);
        Tensor a = inputs.Activations;
        long photos = a.shape[0], channels = a.shape[1];
        var weights = new Tensor[photos];
        for (long i = 0; i < photos; i++)
        {
            long photo = i;
            Tensor classIndex = inputs.ClassIndices[photo].reshape(1);
            // Row 0: the photo as it is; row 1 + k: channel k ablated (computed once for all its classes).
            Tensor logits = forwards.Cached($"{Id}/{photo}", () => AblatedLogits(forwards, a[photo], forwards.Input[photo]));
            Tensor scores = logits.index_select(1, classIndex).reshape(channels + 1);
            Tensor original = scores[0];
            weights[i] = (original - scores[1..]) / original;
        }
        return ChannelWeighting.WeightedSum(torch.stack(weights), a).relu().MoveToOuterDisposeScope();
    }

    private static Tensor AblatedLogits(ExtraForwards forwards, Tensor activation, Tensor photo)
    {
        using var scope = torch.NewDisposeScope();
        long channels = activation.shape[0];
        Tensor original = forwards.LogitsWithLayerOutput(photo.unsqueeze(0), activation.unsqueeze(0));
        long[] live = activation.flatten(1).abs().amax(1).gt(0).nonzero().reshape(-1).cpu().data<long>().ToArray();
        forwards.Skip(channels - live.Length);
        // Rows of zero channels keep the original logits: ablating them changes nothing.
        Tensor result = original.expand(channels + 1, -1).clone();
        for (int start = 0, count; start < live.Length; start += count)
        {
            count = forwards.NextChunkSize(live.Length - start);
            Tensor ablated = activation.unsqueeze(0).repeat(count, 1, 1, 1);
            for (int j = 0; j < count; j++)
                ablated[j, live[start + j]].zero_();
            Tensor copies = photo.unsqueeze(0).expand(count, -1, -1, -1);
            Tensor rows = torch.tensor(live.AsSpan(start, count).ToArray(), device: activation.device) + 1;
            result.index_copy_(0, rows, forwards.LogitsWithLayerOutput(copies, ablated));
        }
        return result.MoveToOuterDisposeScope();
    }
}
