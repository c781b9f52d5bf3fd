using static TorchSharp.torch;

namespace CamStudio.Engine.Models.Onnx;

/// <summary>
/// Remembers what a graph's shape arithmetic computed (the Shape and Size nodes and every node fed only by them and by
/// constants: the Gather/Unsqueeze/Concat/Range/ConstantOfShape chains exporters write around each Reshape), so later runs
/// take those values instead of calling a kernel on a handful of int64s once per node.
/// </summary>
/// <remarks>
/// <para>Exporters emit many such nodes: Swin-T has ~1 000 of its ~2 600 runtime nodes in them, together about a fifth of
/// its forward on one thread. Folding them at load time would need the graph's shapes, which it does not promise (the batch
/// is symbolic, and a tensor's shape can depend on data); instead each value is a function of the shapes its Shape/Size
/// ancestors read, and a run reuses a recorded value only when each of those shapes is the same again. The check is one
/// shape read per Shape node per run, so a value is never stale, whatever the graph.</para>
/// <para>Entries are kept per graph input shape (an explain pass and a perturbation chunk differ in batch), the newest
/// <see cref="MaxEntries"/>; values of more than <see cref="MaxElements"/> elements are recomputed, not kept. Runs on
/// several threads share entries; an evicted entry is freed when its last run ends.</para>
/// </remarks>
internal sealed class OnnxShapeMemo : IDisposable
{
    private const int MaxEntries = 8;

    private const long MaxElements = 1 << 16;

    /// <summary>Per node: the shape-arithmetic nodes among its producers (reused only when all of them were), or null when the node is not shape arithmetic.</summary>
    private readonly int[]?[] _shapeProducers;

    /// <summary>Per node: whether it reads a runtime tensor's shape (Shape, Size), so its value is checked against the recorded shape.</summary>
    private readonly bool[] _readsShape;

    /// <summary>Per shape-arithmetic node: whether a node outside the shape arithmetic, or the graph's caller, reads an output.</summary>
    private readonly bool[] _feedsData;

    /// <summary>Every shape-arithmetic output: its node and output index.</summary>
    private readonly Dictionary<string, (int Node, int Output)> _outputs;

    private readonly LinkedList<Entry> _entries = new();
    private readonly object _lock = new();
    private bool _disposed;

    private OnnxShapeMemo(int[]?[] shapeProducers, bool[] readsShape, bool[] feedsData, Dictionary<string, (int, int)> outputs)
    {
        _shapeProducers = shapeProducers;
        _readsShape = readsShape;
        _feedsData = feedsData;
        _outputs = outputs;
        NodeCount = shapeProducers.Count(p => p is not null);
    }

    /// <summary>How many nodes are shape arithmetic.</summary>
    public int NodeCount { get; }

    /// <summary>
    /// The shape arithmetic of <paramref name="nodes"/> (in execution order; inputs in <paramref name="constants"/> are
    /// known at load; <paramref name="graphOutputs"/> are handed to the caller), or null when the graph has none.
    /// </summary>
    public static OnnxShapeMemo? For(IReadOnlyList<OnnxGraphNode> nodes, Func<string, bool> constants, IEnumerable<string> graphOutputs)
    {
        var producerOf = new Dictionary<string, int>();
        var shapeProducers = new int[]?[nodes.Count];
        var readsShape = new bool[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            OnnxGraphNode node = nodes[i];
            string[] inputs = node.Inputs.Where(n => n.Length > 0).ToArray();
            if (node.OpType is "Shape" or "Size" && inputs.Length == 1)
            {
                readsShape[i] = true;
                shapeProducers[i] = [];
            }
            else if (inputs.Length > 0 && inputs.All(n => constants(n) || producerOf.TryGetValue(n, out int p) && shapeProducers[p] is not null))
            {
                shapeProducers[i] = inputs.Where(n => !constants(n)).Select(n => producerOf[n]).Distinct().ToArray();
            }
            foreach (string output in node.Outputs.Where(o => o.Length > 0))
                producerOf[output] = i;
        }
        if (!shapeProducers.Any(p => p is not null))
            return null;
        var feedsData = new bool[nodes.Count];
        var read = nodes.Where((_, i) => shapeProducers[i] is null).SelectMany(n => n.Inputs).Concat(graphOutputs).ToHashSet();
        var outputs = new Dictionary<string, (int, int)>();
        for (int i = 0; i < nodes.Count; i++)
        {
            if (shapeProducers[i] is null)
                continue;
            feedsData[i] = nodes[i].Outputs.Any(read.Contains);
            for (int k = 0; k < nodes[i].Outputs.Length; k++)
                if (nodes[i].Outputs[k].Length > 0)
                    outputs[nodes[i].Outputs[k]] = (i, k);
        }
        return new OnnxShapeMemo(shapeProducers, readsShape, feedsData, outputs);
    }

    /// <summary>Starts a run on an input of <paramref name="inputShape"/>; dispose it when the run ends.</summary>
    public Run Begin(long[] inputShape)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry? entry = _entries.FirstOrDefault(e => e.InputShape.AsSpan().SequenceEqual(inputShape));
            if (entry is null)
            {
                entry = new Entry(inputShape, _shapeProducers.Length);
                _entries.AddFirst(entry);
                while (_entries.Count > MaxEntries)
                {
                    Entry oldest = _entries.Last!.Value;
                    _entries.RemoveLast();
                    oldest.Evicted = true;
                    if (oldest.Runs == 0)
                        oldest.Free();
                }
            }
            else if (_entries.First!.Value != entry)
            {
                _entries.Remove(entry);
                _entries.AddFirst(entry);
            }
            entry.Runs++;
            return new Run(this, entry);
        }
    }

    private void End(Entry entry)
    {
        lock (_lock)
        {
            entry.Runs--;
            if (entry.Runs == 0 && (entry.Evicted || _disposed))
                entry.Free();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (Entry entry in _entries.Where(e => e.Runs == 0))
                entry.Free();
            _entries.Clear();
        }
    }

    /// <summary>One graph run's view of the memo: which shape-arithmetic nodes it could reuse, and what it records.</summary>
    internal sealed class Run : IDisposable
    {
        private readonly OnnxShapeMemo _memo;
        private readonly Entry _entry;

        /// <summary>Per node: 0 not run yet, 1 its value matches the entry's (reused or recordable), 2 it does not.</summary>
        private readonly byte[] _state;

        internal Run(OnnxShapeMemo memo, Entry entry)
        {
            _memo = memo;
            _entry = entry;
            _state = new byte[memo._shapeProducers.Length];
        }

        /// <summary>How many nodes this run took from the memo instead of running them.</summary>
        public int Reused { get; private set; }

        /// <summary>Whether <paramref name="node"/> is shape arithmetic.</summary>
        public bool Covers(int node) => _memo._shapeProducers[node] is not null;

        /// <summary>Whether <paramref name="node"/> reads a runtime tensor's shape (its one input is then passed to <see cref="Check"/>).</summary>
        public bool ReadsShape(int node) => _memo._readsShape[node];

        /// <summary>Whether only other shape arithmetic reads <paramref name="node"/>'s outputs, so a reused value need not be handed out.</summary>
        public bool FeedsOnlyShapeArithmetic(int node) => !_memo._feedsData[node];

        /// <summary>
        /// For a shape-arithmetic node: whether every shape it derives from is as recorded (for a Shape/Size node, the
        /// shape of <paramref name="shapeInput"/>) and its value is recorded, so it need not run.
        /// </summary>
        public bool Check(int node, Tensor? shapeInput)
        {
            bool same;
            if (_memo._readsShape[node])
            {
                long[] shape = shapeInput!.shape;
                long[] recorded = Interlocked.CompareExchange(ref _entry.ReadShapes[node], shape, null) ?? shape;
                same = recorded.AsSpan().SequenceEqual(shape);
            }
            else
            {
                same = true;
                foreach (int p in _memo._shapeProducers[node]!)
                    same &= _state[p] == 1;
            }
            _state[node] = same ? (byte)1 : (byte)2;
            bool reusable = same && Volatile.Read(ref _entry.Values[node]) is not null;
            if (reusable)
                Reused++;
            return reusable;
        }

        /// <summary>The recorded outputs of a node <see cref="Check"/> found reusable: new handles, in the current dispose scope.</summary>
        public Tensor[] Take(int node) => _entry.Values[node]!.Select(v => v.alias()).ToArray();

        /// <summary>A reused output nobody was handed (<see cref="FeedsOnlyShapeArithmetic"/>) that a node which must run after all reads, or null.</summary>
        public Tensor? Take(string tensor) =>
            _memo._outputs.TryGetValue(tensor, out var at) && _state[at.Node] == 1 && Volatile.Read(ref _entry.Values[at.Node]) is { } values
                ? values[at.Output].alias()
                : null;

        /// <summary>Keeps the outputs of a shape-arithmetic node whose shapes <see cref="Check"/> found as recorded, the first time they are computed.</summary>
        public void Record(int node, Tensor[] results)
        {
            if (_memo._shapeProducers[node] is null || _state[node] != 1 || Volatile.Read(ref _entry.Values[node]) is not null || results.Any(r => r.numel() > MaxElements || r.requires_grad))
                return;
            // A copy made outside inference mode: a value recorded by an inference pass serves gradient runs too.
            using IDisposable normal = TorchSharp.torch.inference_mode(false);
            Tensor[] kept = results.Select(r => r.detach().clone().DetachFromDisposeScope()).ToArray();
            if (Interlocked.CompareExchange(ref _entry.Values[node], kept, null) is not null)
            {
                foreach (Tensor t in kept)
                    t.Dispose();
            }
        }

        public void Dispose() => _memo.End(_entry);
    }

    internal sealed class Entry(long[] inputShape, int nodes)
    {
        public long[] InputShape { get; } = inputShape;

        /// <summary>Per Shape/Size node: the shape it read when its value was recorded.</summary>
        public readonly long[]?[] ReadShapes = new long[]?[nodes];

        /// <summary>Per shape-arithmetic node: its recorded outputs.</summary>
        public readonly Tensor[]?[] Values = new Tensor[]?[nodes];

        /// <summary>Runs using the entry (guarded by the memo's lock).</summary>
        public int Runs;

        public bool Evicted;

        public void Free()
        {
            for (int i = 0; i < Values.Length; i++)
            {
                foreach (Tensor t in Values[i] ?? [])
                    t.Dispose();
                Values[i] = null;
            }
        }
    }
}
