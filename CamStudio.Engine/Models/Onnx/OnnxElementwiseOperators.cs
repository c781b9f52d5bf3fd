using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Element-wise ONNX operators (onnx/docs/Operators.md) beyond the activations in <see cref="OnnxOperators"/>: math,
/// comparisons and logic (which shape subgraphs and attention masks use), Pow/Mod/Where, variadic Max/Min/Sum/Mean and
/// the GELU family. Every one broadcasts numpy-style as the spec says, which is torch's rule too, and stays differentiable.
/// </summary>
internal static class OnnxElementwiseOperators
{
    private const double SqrtTwoOverPi = 0.7978845608028654;

    public static IReadOnlyDictionary<(string Domain, string OpType), Func<OnnxNodeContext, OnnxKernel>> Builders { get; } =
        new Dictionary<(string, string), Func<OnnxNodeContext, OnnxKernel>>
        {
            [(OnnxOperators.DefaultDomain, "Sqrt")] = _ => Unary(x => x.sqrt()),
            [(OnnxOperators.DefaultDomain, "Exp")] = _ => Unary(x => x.exp()),
            [(OnnxOperators.DefaultDomain, "Log")] = _ => Unary(x => x.log()),
            [(OnnxOperators.DefaultDomain, "Neg")] = _ => Unary(x => x.neg()),
            [(OnnxOperators.DefaultDomain, "Abs")] = _ => Unary(x => x.abs()),
            [(OnnxOperators.DefaultDomain, "Reciprocal")] = _ => Unary(x => x.reciprocal()),
            [(OnnxOperators.DefaultDomain, "Floor")] = _ => Unary(x => x.floor()),
            [(OnnxOperators.DefaultDomain, "Ceil")] = _ => Unary(x => x.ceil()),
            // torch.round, like ONNX Round, rounds halves to even.
            [(OnnxOperators.DefaultDomain, "Round")] = _ => Unary(x => x.round()),
            [(OnnxOperators.DefaultDomain, "Sign")] = _ => Unary(x => x.sign()),
            [(OnnxOperators.DefaultDomain, "Sin")] = _ => Unary(x => x.sin()),
            [(OnnxOperators.DefaultDomain, "Cos")] = _ => Unary(x => x.cos()),
            [(OnnxOperators.DefaultDomain, "Tan")] = _ => Unary(x => x.tan()),
            [(OnnxOperators.DefaultDomain, "Asin")] = _ => Unary(x => x.asin()),
            [(OnnxOperators.DefaultDomain, "Acos")] = _ => Unary(x => x.acos()),
            [(OnnxOperators.DefaultDomain, "Atan")] = _ => Unary(x => x.atan()),
            [(OnnxOperators.DefaultDomain, "Sinh")] = _ => Unary(x => x.sinh()),
            [(OnnxOperators.DefaultDomain, "Cosh")] = _ => Unary(x => x.cosh()),
            [(OnnxOperators.DefaultDomain, "Asinh")] = _ => Unary(x => x.asinh()),
            [(OnnxOperators.DefaultDomain, "Atanh")] = _ => Unary(x => x.atanh()),
            [(OnnxOperators.DefaultDomain, "Erf")] = _ => Unary(x => x.erf()),
            [(OnnxOperators.DefaultDomain, "Softplus")] = _ => Unary(x => F.softplus(x)),
            [(OnnxOperators.DefaultDomain, "Softsign")] = _ => Unary(x => x / (x.abs() + 1)),
            [(OnnxOperators.DefaultDomain, "Mish")] = _ => Unary(x => x * F.softplus(x).tanh()),
            [(OnnxOperators.DefaultDomain, "Elu")] = c => { double alpha = c.Float("alpha", 1f); return Unary(x => F.elu(x, alpha)); },
            [(OnnxOperators.DefaultDomain, "Selu")] = Selu,
            [(OnnxOperators.DefaultDomain, "Celu")] = c =>
            {
                double alpha = c.Float("alpha", 1f);
                return Unary(x => torch.where(x > 0, x, ((x / alpha).exp() - 1) * alpha));
            },
            [(OnnxOperators.DefaultDomain, "ThresholdedRelu")] = c =>
            {
                double alpha = c.Float("alpha", 1f);
                return Unary(x => torch.where(x > alpha, x, torch.zeros_like(x)));
            },
            [(OnnxOperators.DefaultDomain, "Shrink")] = c =>
            {
                double lambda = c.Float("lambd", 0.5f), bias = c.Float("bias", 0f);
                return Unary(x => torch.where(x < -lambda, x + bias, torch.where(x > lambda, x - bias, torch.zeros_like(x))));
            },
            [(OnnxOperators.DefaultDomain, "PRelu")] = _ => Binary((x, slope) => torch.where(x < 0, x * slope, x)),
            [(OnnxOperators.DefaultDomain, "Gelu")] = c => Gelu(c.String("approximate", "none")),
            [(OnnxOperators.MicrosoftDomain, "Gelu")] = _ => Gelu("none"),
            [(OnnxOperators.MicrosoftDomain, "FastGelu")] = _ => inputs => [GeluOf(WithBias(inputs), "tanh")],
            [(OnnxOperators.MicrosoftDomain, "BiasGelu")] = _ => inputs => [GeluOf(WithBias(inputs), "none")],
            [(OnnxOperators.DefaultDomain, "Pow")] = _ => Binary(Pow),
            [(OnnxOperators.DefaultDomain, "Mod")] = c => { bool fmod = c.Int("fmod", 0) != 0; return Binary((a, b) => fmod ? a.fmod(b) : a.remainder(b)); },
            [(OnnxOperators.DefaultDomain, "Where")] = _ => inputs => [torch.where(AsBool(inputs[0]!), inputs[1]!, inputs[2]!)],
            [(OnnxOperators.DefaultDomain, "Equal")] = _ => Binary((a, b) => a.eq(b)),
            [(OnnxOperators.DefaultDomain, "Less")] = _ => Binary((a, b) => a.lt(b)),
            [(OnnxOperators.DefaultDomain, "LessOrEqual")] = _ => Binary((a, b) => a.le(b)),
            [(OnnxOperators.DefaultDomain, "Greater")] = _ => Binary((a, b) => a.gt(b)),
            [(OnnxOperators.DefaultDomain, "GreaterOrEqual")] = _ => Binary((a, b) => a.ge(b)),
            [(OnnxOperators.DefaultDomain, "Not")] = _ => Unary(x => AsBool(x).logical_not()),
            [(OnnxOperators.DefaultDomain, "And")] = _ => Binary((a, b) => AsBool(a).logical_and(AsBool(b))),
            [(OnnxOperators.DefaultDomain, "Or")] = _ => Binary((a, b) => AsBool(a).logical_or(AsBool(b))),
            [(OnnxOperators.DefaultDomain, "Xor")] = _ => Binary((a, b) => AsBool(a).logical_xor(AsBool(b))),
            [(OnnxOperators.DefaultDomain, "IsNaN")] = _ => Unary(x => x.isnan()),
            [(OnnxOperators.DefaultDomain, "IsInf")] = IsInf,
            [(OnnxOperators.DefaultDomain, "Max")] = _ => Variadic(torch.maximum),
            [(OnnxOperators.DefaultDomain, "Min")] = _ => Variadic(torch.minimum),
            [(OnnxOperators.DefaultDomain, "Sum")] = _ => Variadic((a, b) => a + b),
            [(OnnxOperators.DefaultDomain, "Mean")] = _ => inputs =>
            {
                using var scope = NewDisposeScope();
                Tensor sum = Variadic((a, b) => a + b)(inputs)[0];
                return [(sum / inputs.Count(i => i is not null)).MoveToOuterDisposeScope()];
            },
        };

    private static OnnxKernel Unary(Func<Tensor, Tensor> op) => inputs => [op(inputs[0]!)];

    private static OnnxKernel Binary(Func<Tensor, Tensor, Tensor> op) => inputs => [op(inputs[0]!, inputs[1]!)];

    /// <summary>Max, Min, Sum: one or more inputs folded pairwise, each step broadcasting.</summary>
    private static OnnxKernel Variadic(Func<Tensor, Tensor, Tensor> op) => inputs =>
    {
        Tensor[] present = inputs.Where(t => t is not null).Select(t => t!).ToArray();
        if (present.Length == 0)
            throw new InvalidDataException("a variadic operator needs at least one input");
        using var scope = NewDisposeScope();
        Tensor result = present[0].alias();
        foreach (Tensor next in present.Skip(1))
            result = op(result, next);
        return [result.MoveToOuterDisposeScope()];
    };

    private static Tensor AsBool(Tensor x) => x.dtype == ScalarType.Bool ? x : x.to_type(ScalarType.Bool);

    /// <summary>ONNX Pow keeps the base's element type whatever the exponent's (e.g. float ** int64, int ** float).</summary>
    private static Tensor Pow(Tensor a, Tensor b)
    {
        Tensor y = a.pow(b);
        if (y.dtype == a.dtype)
            return y;
        using (y)
            return y.to_type(a.dtype);
    }

    private static OnnxKernel Selu(OnnxNodeContext c)
    {
        double alpha = c.Float("alpha", 1.67326319217681884765625f), gamma = c.Float("gamma", 1.05070102214813232421875f);
        return Unary(x =>
        {
            using var scope = NewDisposeScope();
            return (torch.where(x > 0, x, (x.exp() - 1) * alpha) * gamma).MoveToOuterDisposeScope();
        });
    }

    private static OnnxKernel IsInf(OnnxNodeContext c)
    {
        bool positive = c.Int("detect_positive", 1) != 0, negative = c.Int("detect_negative", 1) != 0;
        return Unary(x => positive && negative ? x.isinf() : positive ? x.isposinf() : negative ? x.isneginf() : torch.zeros_like(x, dtype: ScalarType.Bool));
    }

    private static OnnxKernel Gelu(string approximate)
    {
        if (approximate is not ("none" or "tanh"))
            throw new InvalidDataException($"Gelu approximate '{approximate}' is not 'none' or 'tanh'");
        return Unary(x => GeluOf(x, approximate));
    }

    /// <summary>GELU (Hendrycks and Gimpel, arXiv 1606.08415): x·Φ(x), or its tanh approximation.</summary>
    private static Tensor GeluOf(Tensor x, string approximate)
    {
        if (approximate == "none")
            return x.gelu();
        using var scope = NewDisposeScope();
        Tensor inner = (x + x.pow(3) * 0.044715) * SqrtTwoOverPi;
        return (x * (inner.tanh() + 1) * 0.5).MoveToOuterDisposeScope();
    }

    /// <summary>com.microsoft FastGelu/BiasGelu: an optional bias added before the activation.</summary>
    private static Tensor WithBias(Tensor?[] inputs) => inputs.Length > 1 && inputs[1] is { } bias ? inputs[0]! + bias : inputs[0]!.alias();
}
