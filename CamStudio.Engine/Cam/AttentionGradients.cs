using CamStudio.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam;

/// <summary>
/// Each attention block's ∂s_l/∂A_l (N×heads×queries×keys), first block to last: s_l the explained class's score from
/// block l's own tokens, A_l its attention probabilities (what LeGrad averages). Borrowed tensors, with the patch grid the
/// keys hold after <see cref="PrefixTokens"/> extra tokens.
/// </summary>
public sealed record AttentionGradients(IReadOnlyList<Tensor> PerBlock, int PrefixTokens, long GridHeight, long GridWidth)
{
    /// <summary>One partial backward per block, from its scores for <paramref name="classIndices"/> (one per photo) to its probabilities.</summary>
    internal static AttentionGradients Of(AttentionBlocksRun run, Tensor classIndices, bool retainGraph)
    {
        var gradients = new List<Tensor>();
        using (torch.enable_grad())
        {
            for (int i = 0; i < run.Blocks.Count; i++)
            {
                AttentionBlock block = run.Blocks[i];
                Tensor score = block.Scores.gather(1, classIndices.unsqueeze(1)).sum();
                // Later blocks' scores reach back through earlier blocks' tokens, so the graph stays until the last one.
                bool retain = retainGraph || i < run.Blocks.Count - 1;
                Tensor gradient = torch.autograd.grad([score], [block.Probabilities], retain_graph: retain)[0].detach();
                // torch.nn.MultiheadAttention's (N·heads)×T×T, photo-major, read as N×heads×T×T.
                long photos = block.Scores.shape[0];
                gradients.Add(gradient.reshape(photos, -1, gradient.shape[^2], gradient.shape[^1]));
            }
        }
        return new AttentionGradients(gradients, run.PrefixTokens, run.GridHeight, run.GridWidth);
    }
}
