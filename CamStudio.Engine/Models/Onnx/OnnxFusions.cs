using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Load-time rewrites of node chains that exporters spell out op by op into the one libtorch kernel that computes the
/// same thing in a single pass over memory, with the same autograd.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>GELU</b>: <c>torch.onnx</c> writes exact GELU before opset 20 as Div(x, √2) → Erf → Add 1 → Mul x → Mul ½
/// (five passes over the MLP's widest tensor, the Erf a slow one); it becomes <c>gelu(x)</c>.</item>
/// <item><b>Linear</b>: MatMul by a constant matrix then Add of a constant row vector (every Linear layer of a
/// transformer export) becomes one <c>addmm</c>, the bias added inside the GEMM instead of in a second pass.</item>
/// </list>
/// A chain is rewritten only when its inner tensors are read by nothing else and are not graph outputs, so the
/// rewritten graph computes every remaining tensor exactly as before (to float rounding); the inner tensors are no
/// longer there to capture as layers.
/// </remarks>
internal static class OnnxFusions
{
    public static List<OnnxGraphNode> Apply(List<OnnxGraphNode> nodes, IReadOnlyDictionary<string, Tensor> constants, IEnumerable<string> graphOutputs)
    {
        var readers = new Dictionary<string, List<int>>();
        for (int i = 0; i < nodes.Count; i++)
        {
            foreach (string name in nodes[i].Inputs.Where(n => n.Length > 0).Distinct())
            {
                if (!readers.TryGetValue(name, out List<int>? list))
                    readers[name] = list = [];
                list.Add(i);
            }
        }
        var outputs = graphOutputs.ToHashSet();
        var removed = new bool[nodes.Count];
        var replaced = new Dictionary<int, OnnxGraphNode>();

        // The one node reading `tensor`, when nothing else (no other node, no caller) does.
        int? OnlyReader(string tensor) =>
            !outputs.Contains(tensor) && readers.TryGetValue(tensor, out List<int>? r) && r.Count == 1 && !removed[r[0]] ? r[0] : null;
        bool IsScalar(string name, double value) =>
            constants.TryGetValue(name, out Tensor? t) && t.numel() == 1 && t.is_floating_point()
            && Math.Abs(t.to_type(ScalarType.Float64).item<double>() - value) <= 1e-6 * Math.Abs(value);
        // The other input of a two-input node, given one of them.
        string? Other(OnnxGraphNode node, string one) =>
            node.Inputs.Length != 2 ? null : node.Inputs[0] == one ? node.Inputs[1] : node.Inputs[1] == one ? node.Inputs[0] : null;

        for (int i = 0; i < nodes.Count; i++)
        {
            if (removed[i] || replaced.ContainsKey(i))
                continue;
            if (TryGelu(i) is { } gelu)
            {
                replaced[i] = gelu.Node;
                foreach (int j in gelu.Removed)
                    removed[j] = true;
            }
            else if (TryLinear(i) is { } linear)
            {
                replaced[i] = linear.Node;
                removed[linear.Removed] = true;
            }
        }
        if (replaced.Count == 0)
            return nodes;
        // The fused node takes the place of the chain's last node, where its output was produced (execution order holds).
        var result = new List<OnnxGraphNode>(nodes.Count);
        var placeAt = replaced.ToDictionary(p => LastOf(p.Key, p.Value), p => p.Value);
        for (int i = 0; i < nodes.Count; i++)
        {
            if (placeAt.TryGetValue(i, out OnnxGraphNode? fused))
                result.Add(fused);
            else if (!removed[i] && !replaced.ContainsKey(i))
                result.Add(nodes[i]);
        }
        return result;

        int LastOf(int first, OnnxGraphNode fused) =>
            Enumerable.Range(first, nodes.Count - first).First(j => nodes[j].Outputs.Contains(fused.Outputs[0]));

        (OnnxGraphNode Node, int[] Removed)? TryGelu(int i)
        {
            OnnxGraphNode div = nodes[i];
            if (div.OpType != "Div" || div.Inputs.Length != 2 || !IsScalar(div.Inputs[1], Math.Sqrt(2)) || constants.ContainsKey(div.Inputs[0]))
                return null;
            string x = div.Inputs[0];
            if (OnlyReader(div.Outputs[0]) is not { } e || nodes[e].OpType != "Erf")
                return null;
            if (OnlyReader(nodes[e].Outputs[0]) is not { } a || nodes[a].OpType != "Add" || Other(nodes[a], nodes[e].Outputs[0]) is not { } one || !IsScalar(one, 1))
                return null;
            if (OnlyReader(nodes[a].Outputs[0]) is not { } m || nodes[m].OpType != "Mul" || Other(nodes[m], nodes[a].Outputs[0]) != x)
                return null;
            if (OnlyReader(nodes[m].Outputs[0]) is not { } h || nodes[h].OpType != "Mul" || Other(nodes[h], nodes[m].Outputs[0]) is not { } half || !IsScalar(half, 0.5))
                return null;
            OnnxGraphNode last = nodes[h];
            var fused = new OnnxGraphNode(nodes[e].Name.EndsWith("/Erf", StringComparison.Ordinal) ? nodes[e].Name[..^3] + "Gelu" : nodes[e].Name,
                "Gelu", [x], [last.Outputs[0]], inputs => [inputs[0]!.gelu()], new Dictionary<string, float>());
            return (fused, [e, a, m, h]);
        }

        (OnnxGraphNode Node, int Removed)? TryLinear(int i)
        {
            OnnxGraphNode matmul = nodes[i];
            if (matmul.OpType != "MatMul" || matmul.Inputs.Length != 2 || !constants.TryGetValue(matmul.Inputs[1], out Tensor? w)
                || w.dim() != 2 || !w.is_floating_point() || constants.ContainsKey(matmul.Inputs[0]))
                return null;
            if (OnlyReader(matmul.Outputs[0]) is not { } a || nodes[a].OpType != "Add" || Other(nodes[a], matmul.Outputs[0]) is not { } biasName
                || !constants.TryGetValue(biasName, out Tensor? bias) || bias.dim() != 1 || bias.shape[0] != w.shape[1] || bias.dtype != w.dtype)
                return null;
            OnnxGraphNode add = nodes[a];
            var fused = new OnnxGraphNode(add.Name, "Gemm", [matmul.Inputs[0], matmul.Inputs[1], biasName], [add.Outputs[0]],
                inputs => [OnnxShapeCheck.MatMulAdd(inputs[0]!, inputs[1]!, inputs[2]!)], new Dictionary<string, float>())
            {
                Weights = matmul.Weights,
            };
            return (fused, a);
        }
    }
}
