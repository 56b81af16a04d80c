// Hostile: imports a host file by absolute path.
import "/etc/passwd";
