# Hashes of hashes and arrays: build, look up, sort, delete, rebuild. Only sorted or
# order-independent results are printed, so the output does not depend on hash order.
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);

my $count = shift // 200000;
my %table;
for my $i (1 .. $count) {
    my $key = sprintf("key%07d", ($i * 7919) % $count);
    $table{$key} = { id => $i, name => "name-" . reverse($key), tags => [ map { "t$_" } 1 .. ($i % 5) ] };
}
my %by_tags;
for my $key (keys %table) {
    push @{ $by_tags{ scalar @{ $table{$key}{tags} } } }, $key;
}
my $md5 = Digest::MD5->new;
for my $key (sort keys %table) {
    my $entry = $table{$key};
    $md5->add("$key:$entry->{id}:$entry->{name}:@{$entry->{tags}}\n");
}
print "entries ", scalar(keys %table), " digest ", $md5->hexdigest, "\n";
for my $tags (sort { $a <=> $b } keys %by_tags) {
    print "tags $tags: ", scalar @{ $by_tags{$tags} }, "\n";
}
delete $table{$_} for grep { /[13579]$/ } keys %table;
my %words;
$words{ substr($_, 0, 6) . length($table{$_}{name}) }++ for keys %table;
print "after delete ", scalar(keys %table), ", groups ", scalar(keys %words), "\n";
my $joined = join(",", map { "$_=$words{$_}" } sort keys %words);
print "groups digest ", md5_hex($joined), "\n";
