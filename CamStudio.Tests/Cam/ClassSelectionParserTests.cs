using CamStudio.Engine.Cam;
using CamStudio.Tests.Support;

namespace CamStudio.Tests.Cam;

/// <summary>The one class-selection syntax of the CLI, the HTTP API and batch jobs.</summary>
public sealed class ClassSelectionParserTests
{
    private static readonly string[] ImageNet = File.ReadAllLines(SharedResources.ImageNetLabels);

    /// <summary>"tabby" is a synonym of two classes (ambiguous); "Tiger Cat" a whole label of one.</summary>
    private static readonly string[] Pets = ["tabby, tabby cat", "golden retriever", "Tiger Cat", "espresso", "tabby, striped dog"];

    private static int[] ImageNetIndices(string text) =>
        [.. Assert.IsType<ClassSelection.Indices>(ClassSelectionParser.Parse(text, ImageNet, "mobilenetv2")).Classes];

    private static string PetsError(string text) =>
        Assert.Throws<ClassSelectionException>(() => ClassSelectionParser.Parse(text, Pets, "pets")).Message;

    [Theory]
    [InlineData("top1", 1)]
    [InlineData("TOP5", 5)]
    [InlineData(" top3 ", 3)]
    [InlineData("top1000", 1000)]
    public void TopKAloneIsThePhotosOwnTopK(string text, int k)
    {
        Assert.Equal(new ClassSelection.TopK(k), ClassSelectionParser.Parse(text, ImageNet, "mobilenetv2"));
    }

    [Theory]
    [InlineData("281", new[] { 281 })]
    [InlineData("281,285", new[] { 281, 285 })]
    [InlineData("281;285", new[] { 281, 285 })]
    [InlineData("tabby; 285", new[] { 281, 285 })]
    [InlineData("Egyptian cat;tiger cat;281", new[] { 285, 282, 281 })]
    [InlineData("tiger cat, 281", new[] { 282, 281 })]
    [InlineData("285;281;285", new[] { 285, 281 })] // repeats are kept once, in order
    public void IndicesAndNamesAreSeparatedBySemicolonsOrCommas(string text, int[] expected)
    {
        Assert.Equal(expected, ImageNetIndices(text));
    }

    [Theory]
    [InlineData("tabby, tabby cat", new[] { 281 })]
    [InlineData("Tabby,tabby CAT;285", new[] { 281, 285 })]
    [InlineData("285, tabby, tabby cat", new[] { 285, 281 })]
    // Longest run first: "maillot" alone is class 638, "tank suit" a synonym of 639, but together they are label 639.
    [InlineData("maillot, tank suit", new[] { 639 })]
    [InlineData("maillot; tank suit", new[] { 638, 639 })]
    public void ACommaSeparatedRunThatFormsAWholeLabelIsThatLabel(string text, int[] expected)
    {
        Assert.Equal(expected, ImageNetIndices(text));
    }

    [Theory]
    [InlineData("TIGER CAT", 2)]
    [InlineData("striped dog", 4)]
    [InlineData("tabby cat", 0)]
    [InlineData("Golden Retriever", 1)]
    public void ANameIsAWholeLabelOrOneOfItsSynonymsInAnyCase(string name, int expected)
    {
        Assert.Equal([expected], Assert.IsType<ClassSelection.Indices>(ClassSelectionParser.Parse(name, Pets, "pets")).Classes);
    }

    [Fact]
    public void AWholeLabelWinsOverTheSameNameAsASynonymOfAnother()
    {
        // ImageNet has "maillot" (638) and "maillot, tank suit" (639).
        Assert.Equal([638], ImageNetIndices("maillot"));
    }

    [Fact]
    public void AnAmbiguousNameListsTheCandidatesWithTheirIndices()
    {
        Assert.Equal("Class name 'tabby' is ambiguous in model 'pets': 0 (tabby, tabby cat), 4 (tabby, striped dog); give the class index instead.",
            PetsError("tabby"));
        // ImageNet has two classes labelled just "crane" (the bird and the machine).
        var error = Assert.Throws<ClassSelectionException>(() => ClassSelectionParser.Parse("281;crane", ImageNet, "mobilenetv2"));
        Assert.Contains("'crane' is ambiguous", error.Message);
        Assert.Contains("134 (crane), 517 (crane)", error.Message);
    }

    [Fact]
    public void AnUnknownNameSuggestsTheClosestNames()
    {
        Assert.StartsWith("Unknown class 'expresso' for model 'pets'. Did you mean 3 (espresso), ", PetsError("expresso"));
        var error = Assert.Throws<ClassSelectionException>(() => ClassSelectionParser.Parse("mastiff", ImageNet, "mobilenetv2"));
        Assert.Contains("Unknown class 'mastiff'", error.Message);
        Assert.Contains("243 (bull mastiff)", error.Message);
        Assert.Contains("top1", error.Message);
    }

    [Theory]
    [InlineData("top3,1", "Classes 'top3,1' mix top3 with other classes")]
    [InlineData("tabby cat; top1", "mix top1 with other classes")]
    [InlineData("top1;top3", "mix top1 with other classes")]
    public void MixingTopKWithOtherClassesIsAnError(string text, string expected)
    {
        Assert.Contains(expected, PetsError(text));
    }

    [Theory]
    [InlineData("top0", "'top0': K must be between 1 and 5.")]
    [InlineData("top9", "top9 asks for more classes than model 'pets' has (5).")]
    [InlineData("5", "Class index 5 is out of range: model 'pets' has classes 0-4.")]
    [InlineData("-1", "Class index -1 is out of range: model 'pets' has classes 0-4.")]
    [InlineData("2;99999999999", "Class index 99999999999 is out of range: model 'pets' has classes 0-4.")]
    [InlineData("", "No classes given; use top1, top3, topK, class indices or class names.")]
    [InlineData(" ; , ", "No classes given; use top1, top3, topK, class indices or class names.")]
    public void BadTopKIndicesAndEmptySelectionsSayWhatIsWrong(string text, string expected)
    {
        Assert.Equal(expected, PetsError(text));
    }

    [Fact]
    public void ErrorsAreArgumentExceptions()
    {
        Assert.IsAssignableFrom<ArgumentException>(Assert.Throws<ClassSelectionException>(() => ClassSelectionParser.Parse("nope", Pets, "pets")));
    }
}
