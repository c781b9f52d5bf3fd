using CamStudio.Tests.Support;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// The second, independent way to run the shared model's weights: TorchVision's own mobilenet_v2 architecture with the
/// int8 weights dequantised here by hand ((q − z)·s per output channel; int32 bias · x_scale·w_scale) and copied in.
/// The ONNX graph has batch norm folded into the convolutions, so every BatchNorm2d becomes an identity plus the folded
/// bias: weight 1, running_mean 0, running_var 1 − eps (so √(var + eps) = 1), bias = the conv's dequantised bias.
/// </summary>
internal static class TorchVisionReference
{
    public static nn.Module<Tensor, Tensor> MobileNetV2FromSharedModel()
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(SharedResources.Model));
        var init = model.Graph.Initializer.ToDictionary(t => t.Name);
        var convs = model.Graph.Node.Where(n => n.OpType == "QLinearConv").ToList();

        var net = torchvision.models.mobilenet_v2(num_classes: 1000);
        net.eval();
        // named_modules() is breadth-first; execution order is the depth-first order of the module paths.
        var convModules = net.named_modules().Where(m => m.module is Conv2d).OrderBy(m => m.name, ModulePathOrder).Select(m => (Conv2d)m.module).ToList();
        var bnModules = net.named_modules().Where(m => m.module is BatchNorm2d).OrderBy(m => m.name, ModulePathOrder).Select(m => (BatchNorm2d)m.module).ToList();
        if (convModules.Count != convs.Count || bnModules.Count != convs.Count)
            throw new InvalidOperationException($"torchvision has {convModules.Count} convs / {bnModules.Count} batch norms, the ONNX graph {convs.Count} QLinearConv");

        using (torch.no_grad())
        using (torch.NewDisposeScope())
        {
            for (int i = 0; i < convs.Count; i++)
            {
                NodeProto node = convs[i];
                float[] wq = Floats(init[node.Input[3]]);
                float[] wScale = Floats(init[node.Input[4]]);
                float[] wZero = Floats(init[node.Input[5]]);
                float xScale = Floats(init[node.Input[1]])[0];
                float[] bq = Floats(init[node.Input[8]]);
                int outChannels = wScale.Length, perChannel = wq.Length / outChannels;
                var w = new float[wq.Length];
                for (int o = 0; o < outChannels; o++)
                    for (int k = 0; k < perChannel; k++)
                        w[o * perChannel + k] = (wq[o * perChannel + k] - wZero[o]) * wScale[o];
                var b = new float[outChannels];
                for (int o = 0; o < outChannels; o++)
                    b[o] = bq[o] * xScale * wScale[o];

                Conv2d conv = convModules[i];
                conv.weight!.copy_(torch.tensor(w, conv.weight.shape));
                BatchNorm2d bn = bnModules[i];
                bn.weight!.fill_(1);
                bn.bias!.copy_(torch.tensor(b));
                bn.running_mean!.zero_();
                bn.running_var!.fill_(1 - bn.eps);
            }

            // Classifier: QLinearMatMul weight 1280×1000 with one scale per column, bias through QLinearAdd.
            NodeProto matmul = model.Graph.Node.Single(n => n.OpType == "QLinearMatMul");
            NodeProto add = model.Graph.Node.Single(n => n.Name == "Gemm_104_Add_quant");
            float[] q = Floats(init[matmul.Input[3]]), scale = Floats(init[matmul.Input[4]]), zero = Floats(init[matmul.Input[5]]);
            int classes = scale.Length, channels = q.Length / classes;
            var weight = new float[classes * channels];
            for (int c = 0; c < channels; c++)
                for (int k = 0; k < classes; k++)
                    weight[k * channels + c] = (q[c * classes + k] - zero[k]) * scale[k];
            float[] biasQ = Floats(init[add.Input[3]]);
            float biasScale = Floats(init[add.Input[4]])[0], biasZero = Floats(init[add.Input[5]])[0];
            var linear = (Linear)net.named_modules().Single(m => m.name == "classifier.1").module;
            linear.weight!.copy_(torch.tensor(weight, [classes, channels]));
            linear.bias!.copy_(torch.tensor(biasQ.Select(v => (v - biasZero) * biasScale).ToArray()));
        }
        foreach (var p in net.parameters())
            p.requires_grad = false;
        return net;
    }

    private static readonly Comparer<string> ModulePathOrder = Comparer<string>.Create((a, b) =>
    {
        string[] x = a.Split('.'), y = b.Split('.');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            int c = int.TryParse(x[i], out int xi) && int.TryParse(y[i], out int yi) ? xi.CompareTo(yi) : string.CompareOrdinal(x[i], y[i]);
            if (c != 0)
                return c;
        }
        return x.Length.CompareTo(y.Length);
    });

    /// <summary>Initializer values as floats, decoded here from raw bytes (int8, uint8, int32, float) independently of the importer.</summary>
    public static float[] Floats(TensorProto t)
    {
        byte[] raw = t.RawData.ToByteArray();
        if (raw.Length == 0 && t.Int32Data.Count > 0)
            return t.Int32Data.Select(v => (float)v).ToArray();
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Int8 => raw.Select(b => (float)(sbyte)b).ToArray(),
            TensorProto.Types.DataType.Uint8 => raw.Select(b => (float)b).ToArray(),
            TensorProto.Types.DataType.Int32 => Enumerable.Range(0, raw.Length / 4).Select(i => (float)BitConverter.ToInt32(raw, 4 * i)).ToArray(),
            TensorProto.Types.DataType.Float when raw.Length > 0 => Enumerable.Range(0, raw.Length / 4).Select(i => BitConverter.ToSingle(raw, 4 * i)).ToArray(),
            TensorProto.Types.DataType.Float => t.FloatData.ToArray(),
            var other => throw new NotSupportedException(other.ToString()),
        };
    }
}
