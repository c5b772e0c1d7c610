"""The directories every embedded lab on the machine shares (/var/lib/netvirt-robot, DPDK's runtime directory)
go with the last lab's teardown, whatever another lab's teardown or bring-up does meanwhile: two chapters side by
side once failed the later teardown on a directory the other had just removed."""

from netvirt.embedded.lab import _remove_if_empty


def test_a_shared_directory_goes_only_when_empty_and_may_already_be_gone(tmp_path):
    shared = tmp_path / "netvirt-robot"
    (shared / "nv2").mkdir(parents=True)
    _remove_if_empty(shared)  # another lab's directory in it: kept
    assert (shared / "nv2").is_dir()
    (shared / "nv2").rmdir()
    _remove_if_empty(shared)
    assert not shared.exists()
    _remove_if_empty(shared)  # removed by the other lab first: nothing to do
