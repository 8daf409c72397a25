# Allocation churn in Perl: hashes, arrays, strings and regexes. Prints one checksum.
# usage: perl churn.pl [OPERATIONS]
use strict;
use warnings;

my $operations = shift // 250000;
my $state = 12345;
my (%table, $total);
my @words = map { "w${_}_" . ("ab" x ($_ % 17)) } 0 .. 4999;
for my $i (0 .. $operations - 1) {
    $state = ($state * 1103515245 + 12345) % 2147483648;
    my $r = $state >> 8;
    my $key = $words[$r % 5000] . (($r >> 13) % 3000);
    my $kind = $r % 4;
    if ($kind == 0) {
        my $values = $table{$key} //= [];
        push @$values, uc($key) . ":$i";
        splice(@$values, 0, @$values - 40) if @$values > 40;
    } elsif ($kind == 1) {
        delete $table{$key};
    } elsif ($kind == 2) {
        my $joined = join "-", map { $words[($r + $_) % 5000] } 0 .. $r % 24;
        (my $squeezed = $joined) =~ s/(ab)+/X/g;
        $total += scalar(my @parts = split /_/, $squeezed);
    } else {
        my %small = map { $_ => "$_" x ($_ % 5) } 0 .. $r % 64;
        $total += keys %small;
    }
}
my $kept = 0;
$kept += @$_ for values %table;
print "$total ", scalar(keys %table), " $kept\n";
