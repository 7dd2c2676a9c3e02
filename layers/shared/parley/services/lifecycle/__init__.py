"""What happens to a whole account: suspension, reopening, deletion and the account-jobs queue. The top: it may use every other sub-package."""
