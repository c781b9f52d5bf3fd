using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// Faster Score-CAM (approximate): Score-CAM on the K channels of largest activation variance only,
/// ReLU(Σ_{k∈top-K} w_k · A_k) with w = softmax over those K of y_c(X ⊙ M_k); K passes instead of C.
/// </summary>
/// <remarks>
/// As tf-keras-vis's ScoreCAM(max_N): low-variance channels give near-flat masks whose scores barely differ, so
/// leaving them out changes the map little; how little is measured against exact Score-CAM in the benchmark notes.
/// Masks as <see cref="ScoreCam"/> (pytorch-grad-cam's upsampling), so with K ≥ C it equals Score-CAM.
/// </remarks>
public sealed class FasterScoreCam : ICamMethod
{
    private static readonly MethodOption KOption = new("k", "channels scored (those of largest activation variance)", 64, 1, 4096, IsInteger: true);

    public FasterScoreCam(int k = 64) => K = k;

    /// <summary>How many channels are scored.</summary>
    public int K { get; }

    public string Id => "scorecam-fast";
    public string DisplayName => "Faster Score-CAM (approximate)";
    public string Paper => "Wang et al. 2020, Score-CAM (CVPR Workshops), on the top-K channels by variance as in tf-keras-vis (Kubota, max_N)";
    public MethodRequirements Requirements => MethodRequirements.ExtraForwards;
    public bool IsClassSpecific => true;
    public IReadOnlyList<MethodOption> Options => [KOption];

    public ICamMethod WithOptions(MethodOptionValues values) => new FasterScoreCam(values.Int(KOption.Name));

    public long ExtraForwardsPerPhoto(long channels) => Math.Min(K, channels);

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        ExtraForwards forwards = inputs.RequireForwards(DisplayName);
        Tensor a = inputs.Activations;
        long photos = a.shape[0], channels = a.shape[1];
        long k = Math.Min(K, channels);
        var maps = new Tensor[photos];
        for (long i = 0; i < photos; i++)
        {
            long photo = i;
            Tensor top = forwards.Cached($"{Id}/{k}/{photo}/channels", () => a[photo].flatten(1).var(1).topk((int)k).indexes);
            Tensor selected = a[photo].index_select(0, top);
            Tensor logits = forwards.Cached($"{Id}/{k}/{photo}", () => ScoreCam.MaskedLogits(forwards, selected, forwards.Input[photo]));
            Tensor weights = logits.index_select(1, inputs.ClassIndices[photo].reshape(1)).reshape(k).softmax(0);
            maps[i] = torch.einsum("k,khw->hw", weights, selected);
        }
        return torch.stack(maps).relu().MoveToOuterDisposeScope();
    }
}
