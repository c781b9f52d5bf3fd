using CamStudio.Engine.Models.Onnx;
using Google.Protobuf;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CamStudio.Tests.Onnx;

/// <summary>
/// Checks CamStudio's gradient of a class score w.r.t. an inner tensor (what Grad-CAM takes) against central finite
/// differences computed by ONNX Runtime on the same model with that tensor cut free of its producer and fed as an input.
/// </summary>
internal static class OnnxGradientCheck
{
    public static void AutogradMatchesOnnxRuntimeFiniteDifferences(byte[] bytes, OnnxGraphModule module, string inputName, Tensor x,
        string tensor, int target, ITestOutputHelper output)
    {
        using var scope = NewDisposeScope();
        Tensor inner, gradient;
        using (torch.enable_grad())
        using (GraphRun run = module.Execute(x, tensor, gradientsFromCapture: true))
        {
            Tensor score = run.Output[.., target].sum();
            gradient = torch.autograd.grad([score], [run.Captured!])[0].detach();
            inner = run.Captured!.detach().clone();
        }
        Assert.True(gradient.isfinite().all().item<bool>(), "the gradient has non-finite values");
        Assert.True(gradient.abs().max().item<float>() > 1e-6f, "the gradient is zero");

        // f(h) = Σ_n logit[n, target], with h given to ONNX Runtime in place of the tensor's producer.
        byte[] cut = CutAt(bytes, tensor);
        float F(Tensor h) => OnnxRuntimeReference.Run(cut, (inputName, x), (tensor, h))[0][.., target].sum().item<float>();
        // float32 evaluations carry ~1e-7 noise, so the central difference is good to ~1e-5 absolute (ε = 0.01); the check is
        // relative beyond that, and at least one direction must move the score well above the noise.
        const float epsilon = 1e-2f;
        float largest = 0;
        for (int direction = 0; direction < 3; direction++)
        {
            Tensor v = (torch.arange(inner.numel(), dtype: ScalarType.Float32) * (0.31f + direction * 0.17f) + direction).sin().reshape(inner.shape);
            float finite = (F(inner + v * epsilon) - F(inner - v * epsilon)) / (2 * epsilon);
            float analytic = (gradient * v).sum().item<float>();
            output.WriteLine($"{tensor} direction {direction}: autograd {analytic:F6}, ONNX Runtime central difference {finite:F6}");
            Assert.True(Math.Abs(finite - analytic) <= 0.02f * Math.Abs(finite) + 1e-5f,
                $"direction {direction}: autograd {analytic}, finite difference {finite}");
            largest = Math.Max(largest, Math.Abs(finite));
        }
        Assert.True(largest > 1e-4f, $"the score barely moves along the test directions ({largest}); the check would be noise");
    }

    /// <summary>The model with <paramref name="tensor"/>'s producing node removed and the tensor made a graph input.</summary>
    internal static byte[] CutAt(byte[] bytes, string tensor)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(bytes);
        NodeProto producer = model.Graph.Node.Single(n => n.Output.Contains(tensor));
        Assert.Equal(1, producer.Output.Count(o => o.Length > 0));
        model.Graph.Node.Remove(producer);
        model.Graph.Input.Add(new ValueInfoProto
        {
            Name = tensor,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
        });
        return model.ToByteArray();
    }
}
