using CamStudio.Web.Jobs;

namespace CamStudio.Tests.Jobs;

/// <summary>results.csv keeps photo names as text: a spreadsheet must never run one as a formula.</summary>
public sealed class JobExporterCsvTests
{
    private static JobPhoto Failed(int index, string name) =>
        new(index, name, PhotoState.Failed, "not a photo", null, null, null, [], [], null, null, null);

    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\"")]
    [InlineData("+1+2.jpg", "'+1+2.jpg")]
    [InlineData("-2+3.jpg", "'-2+3.jpg")]
    [InlineData("@SUM(A1).jpg", "'@SUM(A1).jpg")]
    [InlineData("\tcmd.jpg", "'\tcmd.jpg")]
    [InlineData("\rcmd.jpg", "\"'\rcmd.jpg\"")]
    [InlineData("plain.jpg", "plain.jpg")]
    [InlineData("a=b.jpg", "a=b.jpg")]
    public void CellsThatASpreadsheetWouldRunAreEscapedWithAnApostrophe(string photoName, string expectedCell)
    {
        string csv = JobExporter.ResultsCsv([Failed(0, photoName)]);
        string row = csv.Split("\r\n")[1];
        Assert.StartsWith(expectedCell + ",failed,", row);
    }

    [Fact]
    public void ErrorTextsAreEscapedToo()
    {
        var photo = new JobPhoto(0, "a.jpg", PhotoState.Failed, "=cmd|' /C calc'!A0", null, null, null, [], [], null, null, null);
        string row = JobExporter.ResultsCsv([photo]).Split("\r\n")[1];
        Assert.EndsWith(",'=cmd|' /C calc'!A0", row);
    }
}
