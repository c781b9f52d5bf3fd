using TorchSharp;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// A ViT graph's attention blocks as LeGrad reads them (Bousselham et al. 2024): each block's attention softmax, the
/// block's output tokens, and the graph's own head (final norm, class-token selection, linear layers) to score them.
/// </summary>
/// <remarks>
/// Found from the graph at load, or refused with the reason: every Softmax over per-head T×T matrices ((N·heads)×T×T as
/// torch.nn.MultiheadAttention exports it, or N×heads×T×T) is a block's attention; its block is the module scope around the attention module (<c>/encoder/layers/encoder_layer_3/</c>),
/// whose last N×T×C tensor is the block's output. The head is every node between the last block's output and the logits;
/// it is only reused when it reads nothing else, works token by token (norms over channels, constants without a token
/// axis) until one node picks a token (Gather on axis 1) or pools them (ReduceMean over axis 1), and is per photo after it.
/// Fed the mean of a block's tokens (1 token), it then gives head(norm(mean(tokens))), the paper's and TorchCAM's
/// per-block score. Windowed attention (Swin, MaxViT) has no global token sequence and is refused.
/// </remarks>
internal sealed class OnnxAttentionBlocks
{
    private static readonly HashSet<string> TokenWise = ["LayerNormalization", "Sub", "Pow", "Sqrt", "Add", "Div", "Mul", "Identity", "Dropout", "Cast", "Reciprocal"];
    private static readonly HashSet<string> PerPhoto = ["Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Flatten", "Squeeze", "Identity", "Dropout", "Cast", "Relu", "Tanh", "Gelu", "Erf", "Sigmoid", "LayerNormalization"];

    private OnnxAttentionBlocks(IReadOnlyList<(string Probabilities, string Output)> blocks, TokenGrid grid)
    {
        Blocks = blocks;
        Grid = grid;
    }

    /// <summary>Each block's softmax output and block output tensor, first to last.</summary>
    public IReadOnlyList<(string Probabilities, string Output)> Blocks { get; }

    /// <summary>The token layout of the blocks' outputs (extra tokens, patch rows and columns).</summary>
    public TokenGrid Grid { get; }

    /// <summary>The blocks of <paramref name="graph"/>, or why LeGrad cannot score them faithfully.</summary>
    public static (OnnxAttentionBlocks? Blocks, string? WhyNot) Find(OnnxGraphModule graph, IReadOnlyDictionary<string, long[]> shapes,
        IReadOnlyDictionary<string, LayerInfo> layers)
    {
        IReadOnlyList<OnnxGraphNode> nodes = graph.Nodes;
        // torch.nn.MultiheadAttention exports its probabilities as (N·heads)×T×T; hand-written attention as N×heads×T×T.
        OnnxGraphNode[] softmaxes = nodes.Where(n => n.OpType == "Softmax" && shapes.TryGetValue(n.Outputs[0], out long[]? s)
            && s.Length >= 3 && s[^1] == s[^2]).ToArray();
        if (softmaxes.Length == 0)
            return (null, "it has no attention softmax (a Softmax over a T×T attention matrix per head), so it is not a vision transformer.");
        var blocks = new List<(string, string)>();
        TokenGrid? grid = null;
        int lastOutputNode = -1;
        foreach (OnnxGraphNode softmax in softmaxes)
        {
            long[] probabilities = shapes[softmax.Outputs[0]];
            if (probabilities.Length > 4 || probabilities.Length == 4 && probabilities[0] != 1)
                return (null, $"its attention '{softmax.Name}' runs over windows of the photo ({string.Join("×", probabilities)} for one photo: windowed attention, as in Swin and MaxViT), not over one sequence of the photo's tokens.");
            string? scope = BlockScope(softmax.Name);
            if (scope is null)
                return (null, $"its node names carry no module scopes (attention '{softmax.Name}'), so a block's output tokens cannot be told apart.");
            int last = -1;
            for (int i = 0; i < nodes.Count; i++)
            {
                if (nodes[i].Name.StartsWith(scope, StringComparison.Ordinal) && shapes.TryGetValue(nodes[i].Outputs[0], out long[]? s)
                    && s.Length == 3 && s[1] == probabilities[^1])
                    last = i;
            }
            if (last < 0 || !layers.TryGetValue(nodes[last].Outputs[0], out LayerInfo? output) || output.Grid is not { Layout: TokenGridLayout.Tokens } tokens)
                return (null, $"the block around attention '{softmax.Name}' has no output of the photo's tokens (1×T×C with T = {probabilities[^1]}), so its attention is not over the photo's tokens (windowed attention has no global token sequence).");
            if (grid is not null && grid != tokens)
                return (null, $"its blocks do not all keep the same tokens ({grid.Text} and {tokens.Text}).");
            if (last <= lastOutputNode)
                return (null, $"two attention softmaxes share block '{scope.Trim('/')}'.");
            grid = tokens;
            lastOutputNode = last;
            blocks.Add((softmax.Outputs[0], nodes[last].Outputs[0]));
        }
        if (HeadProblem(graph, blocks[^1].Item2, lastOutputNode, shapes) is { } problem)
            return (null, problem);
        return (new OnnxAttentionBlocks(blocks, grid!), null);
    }

    /// <summary>
    /// Runs <paramref name="graph"/> on <paramref name="input"/> under grad mode with every block's probabilities an autograd
    /// leaf, and scores each block's mean token through the graph's own head.
    /// </summary>
    public AttentionBlocksRun Run(OnnxGraphModule graph, Tensor input, Func<Tensor, Tensor> logitsOf)
    {
        using var scope = NewDisposeScope();
        using IDisposable grad = torch.enable_grad();
        var kept = new Dictionary<string, Tensor>();
        var wanted = Blocks.SelectMany(b => new[] { b.Probabilities, b.Output }).ToHashSet();
        var leaves = Blocks.Select(b => b.Probabilities).ToHashSet();
        try
        {
            using (GraphRun run = graph.Execute(input, capture: null, gradientsFromCapture: false, leaves: leaves,
                       observe: (name, value) =>
                       {
                           if (wanted.Contains(name))
                               kept[name] = value.alias().DetachFromDisposeScope();
                       }))
            {
            }
            string last = Blocks[^1].Output;
            var blocks = new List<AttentionBlock>();
            foreach ((string probabilities, string output) in Blocks)
            {
                Tensor pooled = kept[output].mean([1], keepdim: true);
                using GraphRun head = graph.Execute(input, capture: null, gradientsFromCapture: false, replacement: (last, pooled));
                blocks.Add(new AttentionBlock(kept[probabilities].alias().MoveToOuterDisposeScope(), logitsOf(head.Output).alias().MoveToOuterDisposeScope()));
            }
            return new AttentionBlocksRun(blocks, Grid.ExtraTokens, Grid.Height, Grid.Width);
        }
        finally
        {
            foreach (Tensor t in kept.Values)
                t.Dispose();
        }
    }

    /// <summary>"/encoder/layers/encoder_layer_3/self_attention/Softmax" → "/encoder/layers/encoder_layer_3/": the attention module's parent.</summary>
    private static string? BlockScope(string nodeName)
    {
        if (!nodeName.StartsWith('/'))
            return null;
        string[] parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length < 3 ? null : "/" + string.Join("/", parts[..^2]) + "/";
    }

    /// <summary>Null when the nodes from <paramref name="last"/> (the last block's output) to the logits form a head LeGrad may reuse; else why not.</summary>
    private static string? HeadProblem(OnnxGraphModule graph, string last, int lastNode, IReadOnlyDictionary<string, long[]> shapes)
    {
        IReadOnlyList<OnnxGraphNode> nodes = graph.Nodes;
        var needed = new HashSet<string> { graph.Outputs[0] };
        var head = new List<OnnxGraphNode>();
        for (int i = nodes.Count - 1; i > lastNode; i--)
        {
            if (!nodes[i].Outputs.Any(needed.Contains))
                continue;
            head.Insert(0, nodes[i]);
            foreach (string name in nodes[i].Inputs.Where(n => n.Length > 0 && graph.ConstantOf(n) is null))
                needed.Add(name);
        }
        var produced = head.SelectMany(n => n.Outputs).ToHashSet();
        string? foreign = needed.FirstOrDefault(n => n != last && !produced.Contains(n));
        if (foreign is not null)
            return $"its head reads '{foreign}' besides the last block's output, so it cannot score a block's tokens alone.";
        bool picked = false;
        foreach (OnnxGraphNode node in head)
        {
            if (!picked && PicksToken(node, shapes))
            {
                picked = true;
                continue;
            }
            bool fits = picked ? PerPhoto.Contains(node.OpType) : TokenWise.Contains(node.OpType) && IsTokenWise(node, graph) || IsChannelMean(node);
            if (!fits)
                return $"its head after the last block has a {node.OpType} node ('{node.Name}') that does not act token by token, so it cannot score the blocks' own tokens.";
        }
        return picked ? null : "its head does not pick the class token or pool the tokens (no Gather or ReduceMean over the token axis).";
    }

    /// <summary>Gather of one token on axis 1, or ReduceMean over axis 1: the head's step from tokens to one vector per photo.</summary>
    private static bool PicksToken(OnnxGraphNode node, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (!shapes.TryGetValue(node.Inputs[0], out long[]? input) || input.Length != 3)
            return false;
        if (node.OpType == "Gather")
            return node.Attributes.GetValueOrDefault("axis") is 1 or -2;
        return node.OpType == "ReduceMean" && Axes(node) is [1] or [-2];
    }

    /// <summary>A ReduceMean over the channel axis (a decomposed LayerNorm's statistics).</summary>
    private static bool IsChannelMean(OnnxGraphNode node) => node.OpType == "ReduceMean" && Axes(node) is [-1] or [2];

    private static long[]? Axes(OnnxGraphNode node) =>
        node.Proto?.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray();

    /// <summary>An op on 1×T×C tokens whose constant operands have no token axis (per-channel scales, biases, exponents).</summary>
    private static bool IsTokenWise(OnnxGraphNode node, OnnxGraphModule graph)
    {
        if (node.OpType == "LayerNormalization")
            return node.Attributes.GetValueOrDefault("axis", -1) is -1 or 2;
        return node.Inputs.Where(n => n.Length > 0).All(n => graph.ConstantOf(n) is not { } c || c.dim() <= 1 || c.dim() == 3 && c.shape[1] == 1);
    }
}
