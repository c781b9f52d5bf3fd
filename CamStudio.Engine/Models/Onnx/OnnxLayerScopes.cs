namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Readable scopes for graph tensors: the module path torch.onnx leaves in node names (<c>/encoder/layers/encoder_layer_11/ln_1/LayerNormalization</c>
/// → <c>encoder.layers.encoder_layer_11.ln_1</c>), or, for graphs without any (quantised exports' <c>Conv_12_quant</c>), a block number.
/// </summary>
internal static class OnnxLayerScopes
{
    private static readonly HashSet<string> Activations = ["Relu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "LeakyRelu", "Tanh", "Gelu", "Elu", "Selu", "PRelu"];

    /// <summary>
    /// Scope per produced tensor. With module scopes in the node names, each tensor gets its node's scope (the graph input
    /// "input"). Without them, blocks are numbered: a block ends at a convolution that narrows the channels (a bottleneck's
    /// projection) or a residual Add (two runtime tensors summed), together with the activation or residual Add right after
    /// it; for MobileNetV2 block k is then torchvision's features.k (block 17 ends in 320×7×7).
    /// </summary>
    public static Dictionary<string, string> Of(OnnxGraphModule graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        var scopes = new Dictionary<string, string> { [graph.Input.Name] = "input" };
        IReadOnlyList<OnnxGraphNode> nodes = graph.Nodes;
        if (nodes.Any(n => ModulePath(n.Name) is not null))
        {
            foreach (OnnxGraphNode node in nodes)
            {
                string scope = ModulePath(node.Name) ?? "graph";
                foreach (string output in node.Outputs.Where(o => o.Length > 0))
                    scopes[output] = scope;
            }
            return scopes;
        }
        int block = 1;
        string? lastEnd = null;
        foreach (OnnxGraphNode node in nodes)
        {
            // An activation after a block's end, or the residual Add summing it, still belongs to that block.
            bool followsEnd = lastEnd is not null && (Activations.Contains(node.OpType) && node.Inputs[0] == lastEnd
                || EndsBlock(node, graph, shapes) && node.OpType is not ("Conv" or "QLinearConv") && node.Inputs.Contains(lastEnd));
            int number = followsEnd ? block - 1 : block;
            foreach (string output in node.Outputs.Where(o => o.Length > 0))
                scopes[output] = $"block {number}";
            if (followsEnd)
            {
                lastEnd = node.Outputs[0];
            }
            else if (EndsBlock(node, graph, shapes))
            {
                lastEnd = node.Outputs[0];
                block++;
            }
        }
        return scopes;
    }

    /// <summary>"/layer4/layer4.2/relu_2/Relu" → "layer4.2.relu_2": the node's module path without the op, qualified names kept once.</summary>
    internal static string? ModulePath(string nodeName)
    {
        if (!nodeName.StartsWith('/'))
            return null;
        string[] parts = nodeName.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
            return null;
        string path = "";
        foreach (string part in parts[..^1])
        {
            // torch names nested modules by their full dotted path under their parent's ("features/features.3/features.3.1").
            path = path.Length == 0 ? part : part.StartsWith(path + ".", StringComparison.Ordinal) ? part : path + "." + part;
        }
        return path;
    }

    private static bool EndsBlock(OnnxGraphNode node, OnnxGraphModule graph, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (node.OpType is "Add" or "QLinearAdd" or "Sum")
        {
            int[] data = node.OpType == "QLinearAdd" ? [0, 3] : [0, 1];
            return data.All(i => i < node.Inputs.Length && graph.ConstantOf(node.Inputs[i]) is null && shapes.ContainsKey(node.Inputs[i]));
        }
        if (node.OpType is "Conv" or "QLinearConv" && shapes.TryGetValue(node.Inputs[0], out long[]? input)
            && shapes.TryGetValue(node.Outputs[0], out long[]? output) && input.Length == 4 && output.Length == 4)
            return output[1] < input[1];
        return false;
    }
}
