using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Tests.Support;
using Xunit;

namespace Nanokit.Persistence.Tests.Serialization;

public sealed class EventRegistrySpecs
{
    [Fact]
    public void An_event_round_trips_under_its_manifest_as_JSON()
    {
        var serialized = TestRegistry.Current.Serialize(new ItemAdded("apple", 3));

        Assert.Equal("item-added", serialized.Manifest);
        Assert.Equal("""{"name":"apple","quantity":3}""", System.Text.Encoding.UTF8.GetString(serialized.Data));
        Assert.Equal(new ItemAdded("apple", 3), TestRegistry.Current.Deserialize(serialized.Manifest, serialized.Data));
    }

    [Fact]
    public void An_unregistered_type_is_refused_with_the_way_to_register_it()
    {
        var error = Assert.Throws<SerializationException>(() => TestRegistry.Current.Serialize(new PriceSetV1(1m)));
        Assert.Contains("Register<PriceSetV1>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_manifest_is_refused_naming_the_manifest()
    {
        var error = Assert.Throws<SerializationException>(() => TestRegistry.Current.Deserialize("gone.v0", "{}"u8));
        Assert.Contains("'gone.v0'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_or_type_cannot_be_registered_twice()
    {
        Assert.Throws<ArgumentException>(() => TestRegistry.Current.Register<ItemRemoved>("item-added"));
        Assert.Throws<ArgumentException>(() => TestRegistry.Current.Register<ItemAdded>("item-added.v2"));
        Assert.Throws<ArgumentException>(() => TestRegistry.Current.Upcast("price-set.v2", _ => new PriceSet(0, "EUR")));
    }

    [Fact]
    public void An_upcaster_turns_an_old_shape_into_the_current_event()
    {
        var old = TestRegistry.Old.Serialize(new PriceSetV1(9.5m));

        Assert.Equal(new PriceSet(9.5m, "EUR"), TestRegistry.Current.Deserialize(old.Manifest, old.Data));
    }

    [Fact]
    public async Task An_append_must_hold_consecutive_sequence_numbers_of_one_id()
    {
        await using var journal = new InMemory.InMemoryJournal(new InMemory.InMemoryStorage(), TestRegistry.Current);
        Assert.Throws<ArgumentException>(() => { _ = journal.AppendAsync([PersistentEvent.Create("a", 1, new ItemRemoved("x")), PersistentEvent.Create("a", 3, new ItemRemoved("x"))], default); });
        Assert.Throws<ArgumentException>(() => { _ = journal.AppendAsync([PersistentEvent.Create("a", 1, new ItemRemoved("x")), PersistentEvent.Create("b", 2, new ItemRemoved("x"))], default); });
        Assert.Throws<ArgumentException>(() => { _ = journal.AppendAsync([PersistentEvent.Create("a", 0, new ItemRemoved("x"))], default); });
    }
}
