using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CamStudio.Benchmarks;

/// <summary>Mean time divided by the batch size (the <c>Batch</c> parameter; 1 when a benchmark has none).</summary>
public sealed class MsPerImageColumn : IColumn
{
    public string Id => nameof(MsPerImageColumn);
    public string ColumnName => "ms/image";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Mean time per image in milliseconds (mean / batch size)";

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
            return "NA";
        object? batch = benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Batch")?.Value;
        int images = batch is int n && n > 0 ? n : 1;
        return (statistics.Mean / 1e6 / images).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
    }
}
