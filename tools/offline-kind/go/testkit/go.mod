// testkit: the one small program inside the acceptance test's images (standard library only).
module todo-platform.local/offline-kind/testkit

go 1.24
