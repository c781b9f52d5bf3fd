using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Features;

/// <summary>
/// eigen_smooth as pytorch-grad-cam computes it (<c>get_2d_projection</c>): the per-channel terms of a method, as an
/// hw × C matrix centred per channel, projected on their first right singular vector; then the method's ReLU.
/// The singular vector's sign is arbitrary (pytorch-grad-cam keeps LAPACK's); <see cref="PrincipalProjection"/> chooses
/// it so the projection correlates positively with the unsmoothed sum Σ_k T_k: the smoothed map agrees with the method's own.
/// </summary>
public static class EigenSmoothing
{
    /// <summary>ReLU of the first principal component of <paramref name="terms"/> (N×C×h×w) → N×h×w.</summary>
    public static Tensor Project(Tensor terms)
    {
        using var scope = torch.NewDisposeScope();
        return PrincipalProjection.FirstComponent(terms).relu().MoveToOuterDisposeScope();
    }
}

/// <summary>A channel-terms method with eigen_smooth on: same id, options and needs; its map is <see cref="EigenSmoothing.Project"/> of its terms.</summary>
internal sealed class EigenSmoothed(IChannelTermsMethod inner) : ICamMethod
{
    public IChannelTermsMethod Inner { get; } = inner;
    public string Id => Inner.Id;
    public string DisplayName => Inner.DisplayName + " (eigen-smoothed)";
    public string Paper => Inner.Paper;
    public MethodRequirements Requirements => Inner.Requirements;
    public bool IsClassSpecific => Inner.IsClassSpecific;
    public long ExtraForwardsPerPhoto(long channels) => Inner.ExtraForwardsPerPhoto(channels);
    public IReadOnlyList<MethodOption> Options => Inner.Options;

    public ICamMethod WithOptions(MethodOptionValues values) =>
        Inner.WithOptions(values) is IChannelTermsMethod configured ? new EigenSmoothed(configured) : throw new InvalidOperationException(
            $"{Inner.Id} configured with options no longer gives channel terms.");

    public Tensor Compute(CamInputs inputs)
    {
        using var scope = torch.NewDisposeScope();
        return EigenSmoothing.Project(Inner.ChannelTerms(inputs)).MoveToOuterDisposeScope();
    }
}
