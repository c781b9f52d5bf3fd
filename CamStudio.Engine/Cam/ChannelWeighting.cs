using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>The sum most CAM methods end with: Σ_k w_k · A_k over channels.</summary>
internal static class ChannelWeighting
{
    /// <summary>Σ_k weights[n, k] · A[n, k] → N×h×w.</summary>
    public static Tensor WeightedSum(Tensor weights, Tensor activations) =>
        torch.einsum("nk,nkhw->nhw", weights, activations);
}
