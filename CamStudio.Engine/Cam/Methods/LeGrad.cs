using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Cam.Methods;

/// <summary>
/// LeGrad: (1/|L|) Σ_{l∈L} mean_{heads, queries} ReLU(∂s_l/∂A_l), read at the patch keys. A_l is block l's post-softmax
/// attention, s_l the class score the model's own final norm and head give for the mean of block l's output tokens (as the
/// paper's code and TorchCAM's <c>LeGrad</c> pool them), L the last blocks. The gradient alone is the signal (no attention
/// factor); the map is on the patch grid and ignores the chosen layer.
/// </summary>
public sealed class LeGrad : ICamMethod
{
    private static readonly MethodOption Blocks = new("blocks", "how many of the last attention blocks to average (0: all of them)", 0, 0, 1000, IsInteger: true);

    private readonly int _blocks;

    public LeGrad() : this(0)
    {
    }

    private LeGrad(int blocks) => _blocks = blocks;

    public string Id => "legrad";
    public string DisplayName => "LeGrad";
    public string Paper => "Bousselham et al. 2024, LeGrad: An Explainability Method for Vision Transformers via Feature Formation Sensitivity (arXiv 2404.03214)";
    public MethodRequirements Requirements => MethodRequirements.AttentionGradients;
    public bool IsClassSpecific => true;

    public IReadOnlyList<MethodOption> Options => [Blocks];

    public ICamMethod WithOptions(MethodOptionValues values) => new LeGrad(values.Int(Blocks.Name));

    public Tensor Compute(CamInputs inputs)
    {
        AttentionGradients attention = inputs.Attention
            ?? throw new InvalidOperationException($"{DisplayName} needs the gradients of each attention block's score, but none were computed.");
        int count = attention.PerBlock.Count;
        if (_blocks > count)
            throw new ArgumentException($"{DisplayName} was asked for the last {_blocks} attention blocks, but the model has {count}.");
        using var scope = torch.NewDisposeScope();
        long patches = attention.GridHeight * attention.GridWidth;
        Tensor[] maps = attention.PerBlock.Skip(_blocks == 0 ? 0 : count - _blocks)
            .Select(g => g.relu().mean([1, 2]).narrow(1, attention.PrefixTokens, patches)
                .reshape(g.shape[0], attention.GridHeight, attention.GridWidth))
            .ToArray();
        return torch.stack(maps).mean([0]).MoveToOuterDisposeScope();
    }
}
