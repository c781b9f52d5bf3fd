using System.Collections;
using System.Text;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace CamStudio.Engine.Models.TorchVision;

/// <summary>The formats a weights file can be in.</summary>
public enum WeightsFormat
{
    /// <summary><c>torch.save(model.state_dict())</c> (.pt/.pth; zip or legacy pickle), read through TorchSharp.PyBridge.</summary>
    PyTorch,

    /// <summary>Hugging Face safetensors, read through TorchSharp.PyBridge.</summary>
    Safetensors,

    /// <summary>TorchSharp's own <c>module.save()</c> format.</summary>
    TorchSharp,
}

/// <summary>
/// Reads a state dict (parameter and buffer name → tensor) from a weights file and loads it strictly into a
/// module, with errors that name the file and the first parameter that does not fit.
/// </summary>
public static class StateDictFile
{
    private static readonly string[] NestedStateDictKeys = ["state_dict", "model_state_dict", "model"];

    /// <summary>The format of <paramref name="path"/>, from its first bytes (the extension only as a tie-breaker).</summary>
    public static WeightsFormat DetectFormat(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int read;
        using (FileStream stream = File.OpenRead(path))
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (read >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4)
            return WeightsFormat.PyTorch;
        if (read >= 2 && head[0] == 0x80 && head[1] <= 5)
            return WeightsFormat.PyTorch;
        if (read == 9 && head[8] == (byte)'{')
            return WeightsFormat.Safetensors;
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".safetensors" => WeightsFormat.Safetensors,
            ".pt" or ".pth" => WeightsFormat.PyTorch,
            _ => WeightsFormat.TorchSharp,
        };
    }

    /// <summary>Reads every tensor of the file (on the CPU). The caller owns (and disposes) the tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        WeightsFormat format = DetectFormat(path);
        Dictionary<string, Tensor> stateDict;
        try
        {
            stateDict = format switch
            {
                WeightsFormat.PyTorch => FromPickle(PyTorchUnpickler.UnpickleStateDict(path), path),
                WeightsFormat.Safetensors => Safetensors.LoadStateDict(path),
                _ => ReadTorchSharp(path),
            };
        }
        catch (Exception e) when (e is not InvalidDataException and not IOException and not OutOfMemoryException)
        {
            throw new InvalidDataException($"Weights file '{path}' could not be read as {Describe(format)}: {e.Message}", e);
        }
        return StripDataParallelPrefix(stateDict);
    }

    /// <summary>
    /// Loads <paramref name="path"/> into <paramref name="module"/> strictly: every parameter and buffer must be in
    /// the file with the same shape and the file may hold nothing else (BatchNorm's <c>num_batches_tracked</c>,
    /// which inference never reads, may be missing or extra).
    /// </summary>
    /// <param name="description">What the module is, for errors, e.g. "resnet18 with 1000 classes".</param>
    public static void LoadInto(nn.Module module, string path, string description)
    {
        Dictionary<string, Tensor> source = Read(path);
        try
        {
            LoadInto(module, source, path, description);
        }
        finally
        {
            foreach (Tensor tensor in source.Values)
                tensor.Dispose();
        }
    }

    /// <summary>Loads an already read state dict; see <see cref="LoadInto(nn.Module, string, string)"/>. Does not dispose <paramref name="source"/>.</summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> source, string path, string description)
    {
        Dictionary<string, Tensor> target = module.state_dict();
        var problems = new List<string>();
        foreach ((string name, Tensor expected) in target)
        {
            if (!source.TryGetValue(name, out Tensor? found))
            {
                if (!IsOptional(name))
                    problems.Add($"parameter '{name}' ({Shape(expected)}) is missing from the file");
            }
            else if (!expected.shape.SequenceEqual(found.shape))
            {
                problems.Add($"parameter '{name}' is {Shape(found)} in the file but {Shape(expected)} in {description}");
            }
        }
        foreach ((string name, Tensor found) in source)
        {
            if (!target.ContainsKey(name) && !IsOptional(name))
                problems.Add($"the file has '{name}' ({Shape(found)}), which {description} does not");
        }
        if (problems.Count > 0)
        {
            var message = new StringBuilder($"Weights file '{path}' does not fit {description}: {problems[0]}");
            if (problems.Count > 1)
                message.Append($" (and {problems.Count - 1} more mismatch{(problems.Count > 2 ? "es" : "")})");
            message.Append(". Is it a state dict of another architecture or class count?");
            throw new InvalidDataException(message.ToString());
        }

        using IDisposable noGrad = torch.no_grad();
        foreach ((string name, Tensor expected) in target)
        {
            if (source.TryGetValue(name, out Tensor? found))
                expected.copy_(found);
        }
    }

    /// <summary>The first dimension of <paramref name="parameter"/> in <paramref name="stateDict"/>, if it is there.</summary>
    public static long? FirstDimension(IReadOnlyDictionary<string, Tensor> stateDict, string parameter) =>
        stateDict.TryGetValue(parameter, out Tensor? tensor) && tensor.dim() >= 1 ? tensor.shape[0] : null;

    private static bool IsOptional(string name) => name.EndsWith(".num_batches_tracked", StringComparison.Ordinal);

    private static string Shape(Tensor tensor) => tensor.dim() == 0 ? "a scalar" : string.Join("×", tensor.shape);

    private static string Describe(WeightsFormat format) => format switch
    {
        WeightsFormat.PyTorch => "a PyTorch state dict (torch.save(model.state_dict()))",
        WeightsFormat.Safetensors => "safetensors",
        _ => "TorchSharp weights (module.save)",
    };

    private static Dictionary<string, Tensor> FromPickle(Hashtable table, string path)
    {
        // A training checkpoint often nests the state dict: {"state_dict": {...}, "epoch": 3, ...}.
        if (!table.Values.OfType<Tensor>().Any())
        {
            foreach (string key in NestedStateDictKeys)
            {
                if (table[key] is Hashtable nested)
                    return FromPickle(nested, path);
            }
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string name && entry.Value is Tensor tensor)
                result[name] = tensor;
        }
        if (result.Count == 0)
            throw new InvalidDataException($"Weights file '{path}' holds no tensors; expected torch.save(model.state_dict()).");
        return result;
    }

    private static Dictionary<string, Tensor> ReadTorchSharp(string path)
    {
        using FileStream stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        long count = ReadLeb128(reader);
        if (count <= 0 || count > 1_000_000)
            throw new InvalidDataException($"Weights file '{path}' is not a PyTorch, safetensors or TorchSharp weights file.");
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                result[name] = TensorExtensionMethods.Load(reader);
            }
        }
        catch
        {
            foreach (Tensor tensor in result.Values)
                tensor.Dispose();
            throw;
        }
        return result;
    }

    // TorchSharp writes the entry count as unsigned LEB128.
    private static long ReadLeb128(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("Malformed entry count.");
    }

    // nn.DataParallel saves every name under "module.".
    private static Dictionary<string, Tensor> StripDataParallelPrefix(Dictionary<string, Tensor> stateDict)
    {
        const string prefix = "module.";
        if (stateDict.Count == 0 || !stateDict.Keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal)))
            return stateDict;
        return stateDict.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
    }
}
