// Hostile: imports a host file through the parent directory.
import "../../etc/passwd";
