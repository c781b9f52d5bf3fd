using static TorchSharp.torch;

namespace CamStudio.Engine.Models;

/// <summary>
/// A vision transformer whose attention blocks the engine can score one by one (what LeGrad needs, Bousselham et al. 2024):
/// each block's post-softmax attention probabilities, and the class logits the model's own final norm and head give for
/// that block's tokens.
/// </summary>
public interface IAttentionBlocksModel
{
    /// <summary>Null when <see cref="RunAttentionBlocks"/> works; otherwise why not, in one sentence a user can act on.</summary>
    string? AttentionBlocksUnavailable { get; }

    /// <summary>
    /// Runs the model on <paramref name="input"/> under grad mode: every block's attention probabilities are autograd leaves,
    /// and each block's scores are the model's final norm and head applied to the mean of its output tokens, so
    /// ∂scores/∂probabilities is that block's own sensitivity. Call on the torch thread.
    /// </summary>
    AttentionBlocksRun RunAttentionBlocks(Tensor input);
}

/// <summary>One attention block of a run: its probabilities (a leaf requiring grad; N×heads×queries×keys, or (N·heads)×queries×keys as torch.nn.MultiheadAttention exports them) and N×classes scores from its tokens.</summary>
public sealed record AttentionBlock(Tensor Probabilities, Tensor Scores);

/// <summary>The blocks of one run, first to last, with the patch grid their keys hold after <see cref="PrefixTokens"/> extra tokens. Disposing frees them.</summary>
public sealed class AttentionBlocksRun : IDisposable
{
    public AttentionBlocksRun(IReadOnlyList<AttentionBlock> blocks, int prefixTokens, long gridHeight, long gridWidth)
    {
        Blocks = blocks;
        PrefixTokens = prefixTokens;
        GridHeight = gridHeight;
        GridWidth = gridWidth;
    }

    public IReadOnlyList<AttentionBlock> Blocks { get; }

    /// <summary>Keys before the patches (ViT's class token).</summary>
    public int PrefixTokens { get; }

    public long GridHeight { get; }

    public long GridWidth { get; }

    public void Dispose()
    {
        foreach (AttentionBlock block in Blocks)
        {
            block.Probabilities.Dispose();
            block.Scores.Dispose();
        }
    }
}
