using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Score-CAM: ReLU(Σ_k w_k · A_k) with w = softmax_k(y_c(X ⊙ M_k)), M_k the channel's map upsampled to the input
/// and min-max scaled to [0, 1]; one forward pass per channel (in chunks), shared by all classes of a photo.
/// As pytorch-grad-cam implements it (class logit of the masked input, softmax over channels).
/// </summary>
public sealed class ScoreCam : ICamMethod
{
    public string Id => "scorecam";
    public string DisplayName => "Score-CAM";
    public string Paper => "Wang et al. 2020, Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks (CVPR Workshops)";
    public MethodRequirements Requirements => MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;

    /// <summary>One pass per channel.</summary>
    public long ExtraForwardsPerPhoto(long channels) => channels;

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
            // Logits of every masked copy of the photo (C × classes), computed once for all its classes.
            Tensor logits = forwards.Cached($"{Id}/{photo}", () => MaskedLogits(forwards, a[photo], forwards.Input[photo]));
            Tensor scores = logits.index_select(1, inputs.ClassIndices[photo].reshape(1)).reshape(channels);
            weights[i] = scores.softmax(0);
        }
        return ChannelWeighting.WeightedSum(torch.stack(weights), a).relu().MoveToOuterDisposeScope();
    }

    private static Tensor MaskedLogits(ExtraForwards forwards, Tensor activation, Tensor photo)
    {
        using var scope = torch.NewDisposeScope();
        long channels = activation.shape[0];
        long height = photo.shape[1], width = photo.shape[2];
        Tensor masks = nn.functional.interpolate(activation.unsqueeze(0), [height, width], mode: InterpolationMode.Bilinear, align_corners: false)[0];
        Tensor low = masks.amin([1, 2], keepdim: true);
        Tensor high = masks.amax([1, 2], keepdim: true);
        masks = (masks - low) / (high - low + 1e-8);
        var chunks = new List<Tensor>();
        for (long start = 0, count; start < channels; start += count)
        {
            count = forwards.NextChunkSize(channels - start);
            Tensor masked = photo.unsqueeze(0) * masks.narrow(0, start, count).unsqueeze(1);
            chunks.Add(forwards.Logits(masked));
        }
        return torch.cat(chunks, 0).MoveToOuterDisposeScope();
    }
}
